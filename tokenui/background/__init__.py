"""Background work: the one schedule, the scheduler every worker runs (each slot claimed by one
worker only), and `manage.py worker` for whichever task backend is configured."""
