from frontend.views.privacy import register_page

register_page()
