from frontend.views.lifecycle import challenger_page

challenger_page()
