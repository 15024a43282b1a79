"""The WHM package's manage.py commands: rundashboard and whm_simulator."""
