"""The browsable API (``?format=api``, ``Accept: text/html``) never answers 500.

DRF's HTML renderer builds a POST/PUT form for every page from the view's serializer; views that take
a plain input serializer per action (rules, lifecycle commands) have none for a bare GET, and the
renderer raised ``AssertionError`` -- a 500 for anyone opening the API in a browser. Forms that cannot be
built are left out (the raw JSON box still lets one send a body); the data is shown as always.
"""

from __future__ import annotations

import logging

from rest_framework.renderers import BrowsableAPIRenderer

logger = logging.getLogger(__name__)


class SafeBrowsableAPIRenderer(BrowsableAPIRenderer):
    def get_rendered_html_form(self, data, view, method, request):
        try:
            return super().get_rendered_html_form(data, view, method, request)
        except Exception:  # a form the page can do without
            logger.debug("No %s form for %s", method, request.path, exc_info=True)
            return None

    def get_raw_data_form(self, data, view, method, request):
        try:
            return super().get_raw_data_form(data, view, method, request)
        except Exception:  # a form the page can do without
            logger.debug("No raw %s form for %s", method, request.path, exc_info=True)
            return None

    def get_filter_form(self, data, view, request):
        try:
            return super().get_filter_form(data, view, request)
        except Exception:  # a form the page can do without
            logger.debug("No filter form for %s", request.path, exc_info=True)
            return None
