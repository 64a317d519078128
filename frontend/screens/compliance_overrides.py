from frontend.views.privacy import overrides_page

overrides_page()
