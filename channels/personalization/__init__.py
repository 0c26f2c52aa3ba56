"""Personalization: sandboxed Jinja2 templates, tracked links and the SMS segment counter."""
