from frontend.views.privacy import subject_request_page

subject_request_page()
