from frontend.views.admin import users_page

users_page()
