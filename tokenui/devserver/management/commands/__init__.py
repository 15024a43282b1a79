"""`manage.py rundashboard`."""
