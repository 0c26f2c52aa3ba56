"""A django-filter backend that answers 400 to query parameters it does not know.

django-filter ignores unknown parameters, so a typo (``?stauts=sent``) silently lists everything;
for a platform whose lists feed bulk actions, that is refused instead.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

# Parameters owned by other parts of DRF, always accepted.
RESERVED_PARAMETERS = {"limit", "offset", "cursor", "ordering", "format", "page", "page_size", "search"}


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        allowed = set(RESERVED_PARAMETERS) | set(getattr(view, "extra_query_parameters", ()))
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError(
                {name: [_("Unknown query parameter.")] for name in unknown}, code="unknown_parameter"
            )
        return super().filter_queryset(request, queryset, view)
