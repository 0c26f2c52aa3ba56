"""A django-filter backend that answers 400 to query parameters it does not know.

django-filter ignores unknown parameters, so a typo (``?stauts=sent``) silently lists everything;
for a platform whose lists feed bulk actions, that is refused instead.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext as _
from django_filters import (
    BaseInFilter,
    BooleanFilter,
    ModelChoiceFilter,
    ModelMultipleChoiceFilter,
    NumberFilter,
    utils,
)
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

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
        if filterset_class is not None:
            errors = _strict_value_errors(request, filterset_class)
            if errors:
                raise ValidationError(errors, code="invalid")
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        _datetimes_in_utc(filterset.form.cleaned_data)
        return filterset.qs


# django-filter reads ``?favourite=maybe`` as "no filter" and passes ``?campaign_id=1e30`` to the
# database (an overflow, so a 500); both are a 400 here. Ids are 64-bit integers on every database.
INTEGER_MIN, INTEGER_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]{1,20}")
BOOLEAN_VALUES = {"true", "false", "True", "False", "1", "0"}


def is_integer_filter(filterset_class, filter_) -> bool:
    if not isinstance(filter_, NumberFilter | ModelChoiceFilter | ModelMultipleChoiceFilter):
        return False
    field = get_model_field(filterset_class._meta.model, filter_.field_name)
    while field is not None and field.is_relation and getattr(field, "target_field", None) is not None:
        if field.target_field is field:
            break
        field = field.target_field
    return isinstance(field, models.IntegerField | models.AutoField)


def _datetimes_in_utc(values: dict) -> None:
    """An ISO date-time may carry any offset below a day; PostgreSQL refuses offsets beyond 15:59
    (a 500), so a filter's date-time is moved to UTC first (out of range there is a 400)."""
    for name, value in values.items():
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            try:
                values[name] = value.astimezone(datetime.UTC)
            except OverflowError:
                raise ValidationError({name: [_("Enter a date and time within years 1 to 9999.")]}) from None


def _strict_value_errors(request, filterset_class) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, filter_ in filterset_class.base_filters.items():
        if name not in request.query_params:
            continue
        for raw in request.query_params.getlist(name):
            if isinstance(filter_, BooleanFilter):
                if raw not in BOOLEAN_VALUES and raw != "":
                    errors[name] = [_("Enter true or false.")]
            elif is_integer_filter(filterset_class, filter_):
                parts = raw.split(",") if isinstance(filter_, BaseInFilter) else [raw]
                if raw != "" and not all(
                    _INTEGER.fullmatch(part) and INTEGER_MIN <= int(part) <= INTEGER_MAX for part in parts
                ):
                    errors[name] = [_("Enter a whole number.")]
    return errors


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering filter drops the terms it does not know and falls back to the default order, so
    ``?ordering=nmae`` silently lists in another order; here an unknown term is a 400 naming
    ``ordering``, like any unknown parameter. The OpenAPI document lists the accepted terms."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            terms = [term.strip() for term in params.split(",")]
            valid = self._valid_names(queryset, view, request)
            unknown = [term for term in terms if term.removeprefix("-") not in valid]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Unknown ordering %(terms)s; use one of: %(valid)s.")
                            % {"terms": ", ".join(unknown), "valid": ", ".join(sorted(valid))}
                        ]
                    },
                    code="unknown_ordering",
                )
            return terms
        return self.get_default_ordering(view)

    def _valid_names(self, queryset, view, request=None) -> set[str]:
        try:
            fields = self.get_valid_fields(queryset, view, {"request": request})
        except ImproperlyConfigured:  # a view with neither ordering_fields nor a serializer: no ordering
            return set()
        return {name for name, _label in fields}

    def get_schema_operation_parameters(self, view):
        queryset = getattr(view, "base_queryset", None)
        if queryset is None:
            queryset = getattr(view, "queryset", None)
        if queryset is None:
            try:
                queryset = view.get_queryset()
            except Exception:  # a view that needs a real request: the declared terms only
                queryset = None
        if queryset is None:
            return super().get_schema_operation_parameters(view)
        names = sorted(self._valid_names(queryset.all(), view))
        if not names:
            return []
        choices = "|".join(re.escape(name) for name in names)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": _("Comma-separated fields to order by, '-' for descending: %(names)s.")
                % {"names": ", ".join(names)},
                "schema": {"type": "string", "pattern": f"^-?({choices})(,-?({choices}))*$"},
            }
        ]
