from frontend.views.session import change_password_page

change_password_page(forced=False)
