"""Background jobs on django-q2: enqueue after commit with id-only payloads (see jobs/README.md)."""
