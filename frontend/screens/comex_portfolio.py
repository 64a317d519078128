from frontend.views.comex import portfolio_page

portfolio_page()
