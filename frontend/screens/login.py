from frontend.views.session import login_page

login_page()
