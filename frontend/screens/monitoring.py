from frontend.views.monitoring import monitoring_page

monitoring_page()
