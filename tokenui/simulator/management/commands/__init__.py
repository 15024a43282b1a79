"""`manage.py whm_simulator`."""
