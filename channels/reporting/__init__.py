"""Delivery reports: figures computed in the database, the same for the admin page, CSV and the API."""
