"""Demo data: a synthetic Tây Ninh province, its agencies, staff, reports and warnings (`manage.py load_demo`)."""
