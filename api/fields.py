"""Text fields take text: a JSON number or boolean given for a string field is a 400 naming the field.

DRF's ``CharField`` turns ``123`` into ``"123"``, so a client that sends the wrong type is told nothing
and the OpenAPI document (``type: string``) says one thing while the API does another. Installed once
from ``ApiConfig.ready`` for every ``CharField`` and its subclasses (e-mail, URL, regex, slug...).
"""

from __future__ import annotations

import decimal

from rest_framework import serializers

_text_to_internal_value = serializers.CharField.to_internal_value


def _text_only(self, data):
    if isinstance(data, bool | int | float | decimal.Decimal):
        self.fail("invalid")  # "Not a valid string."
    return _text_to_internal_value(self, data)


def refuse_numbers_for_text() -> None:
    serializers.CharField.to_internal_value = _text_only
