"""Limit/offset pagination with an upper bound on ``limit``.

DRF falls back to the defaults when ``limit`` or ``offset`` is not a number (``?limit=ten`` lists 50
rows as if nothing was asked); here that is a 400 naming the parameter, like other bad input. A
``limit`` above the maximum is still served with the maximum, as documented.
"""

import re

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

# Beyond this an offset is not a page anyone reads, and a 64-bit OFFSET would overflow the database.
MAX_OFFSET = 2**31 - 1
_INTEGER = re.compile(r"-?[0-9]{1,30}")


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = 500

    def _parameter(self, request, name: str, minimum: int, maximum: int | None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        value = int(raw) if _INTEGER.fullmatch(raw) else None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            bounds = {"minimum": minimum, "maximum": maximum if maximum is not None else ""}
            message = (
                _("Enter a whole number from %(minimum)s to %(maximum)s.") % bounds
                if maximum is not None
                else _("Enter a whole number of at least %(minimum)s.") % bounds
            )
            raise ValidationError({name: [message]}, code="invalid")
        return value

    def get_limit(self, request):
        value = self._parameter(request, self.limit_query_param, 1, None)
        return self.default_limit if value is None else min(value, self.max_limit)

    def get_offset(self, request):
        value = self._parameter(request, self.offset_query_param, 0, MAX_OFFSET)
        return value or 0

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": _("Rows per page (default %(default)s; above %(max)s, %(max)s).")
                % {"default": self.default_limit, "max": self.max_limit},
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": _("Rows to skip before the page."),
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
            },
        ]
