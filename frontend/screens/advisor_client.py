from frontend.views.advisor import client_page

client_page()
