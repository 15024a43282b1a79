"""TokenUI: a dashboard for cPanel & WHM API tokens."""
