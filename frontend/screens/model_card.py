from frontend.views.transparency import model_card_page

model_card_page()
