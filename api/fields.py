"""Input rules below every serializer, installed once from ``ApiConfig.ready``.

Text fields take text: a JSON number or boolean given for a string field is a 400 naming the field.

DRF's ``CharField`` turns ``123`` into ``"123"``, so a client that sends the wrong type is told nothing
and the OpenAPI document (``type: string``) says one thing while the API does another. This holds
for every ``CharField`` and its subclasses (e-mail, URL, regex, slug...).

Integers fit in 64 bits: every ``IntegerField`` without tighter bounds refuses what no database
column (and no id) can hold, a 400 naming the field instead of an ``OverflowError`` (500) when the
value reaches a query (``/deliveries/report/?campaign=4786434336211317557371473540019126272``).
"""

from __future__ import annotations

import decimal

from rest_framework import serializers

_text_to_internal_value = serializers.CharField.to_internal_value
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _text_only(self, data):
    if isinstance(data, bool | int | float | decimal.Decimal):
        self.fail("invalid")  # "Not a valid string."
    return _text_to_internal_value(self, data)


_integer_init = serializers.IntegerField.__init__


def _int64_init(self, *args, **kwargs):
    # Bounds as arguments, so the validators refuse and the OpenAPI document says so (minimum/maximum).
    kwargs.setdefault("max_value", INT64_MAX)
    kwargs.setdefault("min_value", INT64_MIN)
    _integer_init(self, *args, **kwargs)


def install_input_rules() -> None:
    serializers.CharField.to_internal_value = _text_only
    serializers.IntegerField.__init__ = _int64_init
