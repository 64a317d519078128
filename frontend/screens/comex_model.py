from frontend.views.comex import model_page

model_page()
