"""`make run`'s wiring: serve the dashboard, on the embedded WHM simulator unless a WHM is set."""
