from frontend.views.compliance import audit_page

audit_page()
