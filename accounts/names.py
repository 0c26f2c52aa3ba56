"""Names and labels people read: no hidden characters, no look-alikes of an existing name.

A name shown in lists, review queues and notifications must read as what it is. Bidirectional controls
can make ``gpj.exe`` read as ``exe.jpg``; a line break can forge a second line in a log or an e-mail; a
full-width spelling of ``Spring sale`` passes for it in a review queue. ``DisplayNamed`` gives a
model's ``clean()`` both checks, so the admin and every service that calls ``full_clean()`` refuse them
with the field named.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Explicit directional formatting characters (Unicode bidi algorithm, section 2) and the marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def display_name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name people read, or None."""
    for char in value:
        if char in BIDI_CONTROLS:
            return _("Remove the hidden text-direction character (U+%(code)04X).") % {"code": ord(char)}
        if char in LINE_BREAKS:
            return _("A name is one line: remove the line break.")
        category = unicodedata.category(char)
        if category == "Cc" or category == "Cs":
            return _("Remove the control character (U+%(code)04X).") % {"code": ord(char)}
    return None


def folded(value: str) -> str:
    """The form two names share when they look alike: compatibility-normalized (full-width letters, ligatures,
    odd spaces), runs of spaces merged. Case stays: "VIP" and "vip" are told apart at a glance."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def lookalike_of(value: str, existing: list[str]) -> str | None:
    """An existing name that reads like ``value`` without being spelled the same, or None."""
    key = folded(value)
    for name in existing:
        if name != value and folded(name) == key:
            return name
    return None


class DisplayNamed:
    """Mixin for models: ``display_name_fields`` are checked for hidden characters, ``unique_looking_fields``
    also for look-alikes among the model's other rows. Call ``super().clean()`` when overriding ``clean``."""

    display_name_fields: tuple[str, ...] = ("name",)
    unique_looking_fields: tuple[str, ...] = ("name",)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        for field in self.display_name_fields:
            value = getattr(self, field) or ""
            problem = display_name_problem(value)
            if problem:
                errors[field] = problem
        for field in self.unique_looking_fields:
            value = getattr(self, field) or ""
            if field in errors or not value:
                continue
            others = type(self)._default_manager.all()
            if self.pk:
                others = others.exclude(pk=self.pk)
            clash = lookalike_of(value, list(others.values_list(field, flat=True)))
            if clash:
                message = _("“%(name)s” looks like the existing “%(other)s”: choose a distinct name.")
                errors[field] = message % {"name": value, "other": clash}
        if errors:
            raise ValidationError(errors)
