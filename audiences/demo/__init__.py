"""The retail demo model (``python manage.py demo_data``): generator and builder."""
