"""Demo content of the Pas-de-Calais flood concertation (see `manage.py seed_demo`)."""
