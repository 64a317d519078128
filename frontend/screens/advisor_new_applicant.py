from frontend.views.advisor import new_applicant_page

new_applicant_page()
