"""Catalog models: Schema, Field, Link (with its LinkKey pairs), SchemaIndex, TargetingDimension.

These rows describe the company's own tables. They are written only by ``audiences.catalog.services``
(which also changes the physical tables in the same transaction) and read through
``audiences.catalog.selectors``, the single place SQL identifiers come from.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from audiences.catalog.names import validate_name, validate_schema_name
from audiences.catalog.types import VERSION_TYPES, FieldTypeKey


class SchemaKind(models.TextChoices):
    MANAGED = "managed", _("Managed (the platform owns the table)")
    EXTERNAL = "external", _("External (an existing table or view, read only)")


class Schema(models.Model):
    """A table the platform knows. Its physical ``table_name`` never changes once created."""

    name = models.CharField(_("name"), max_length=63, unique=True, validators=[validate_schema_name])
    label = models.CharField(_("label"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    table_name = models.CharField(_("table name"), max_length=63, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=SchemaKind.choices, default=SchemaKind.MANAGED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("schema")
        verbose_name_plural = _("schemas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_managed(self) -> bool:
        return self.kind == SchemaKind.MANAGED


class Field(models.Model):
    """A typed column of a schema. ``column_name`` is physical and fixed; ``name`` may be renamed."""

    schema = models.ForeignKey(
        Schema, verbose_name=_("schema"), on_delete=models.CASCADE, related_name="fields"
    )
    name = models.CharField(_("name"), max_length=63, validators=[validate_name])
    column_name = models.CharField(_("column name"), max_length=63, editable=False)
    label = models.CharField(_("label"), max_length=200, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=FieldTypeKey.choices)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    precision = models.PositiveSmallIntegerField(_("precision"), null=True, blank=True)
    scale = models.PositiveSmallIntegerField(_("scale"), null=True, blank=True)
    enum_values = models.JSONField(_("enumeration values"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    primary_key = models.BooleanField(_("part of the primary key"), default=False)
    is_version = models.BooleanField(
        _("version field"), default=False, help_text=_("Orders updates: a row with a lower version is stale.")
    )
    is_personal = models.BooleanField(
        _("personal data"), default=False, help_text=_("Previews show it only to profiles allowed to see it.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["schema_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schema", "name"], name="audiences_field_unique_name"),
            models.UniqueConstraint(fields=["schema", "column_name"], name="audiences_field_unique_column"),
            models.UniqueConstraint(
                fields=["schema"], condition=models.Q(is_version=True), name="audiences_field_one_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schema.name}.{self.name}" if self.schema_id else self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.type == FieldTypeKey.DECIMAL:
            if not self.precision:
                errors["precision"] = _("A decimal field needs a precision.")
            elif self.scale is not None and self.scale > self.precision:
                errors["scale"] = _("The scale cannot exceed the precision.")
            elif self.precision > 1000:
                errors["precision"] = _("At most 1000 digits.")
        elif self.precision is not None or self.scale is not None:
            errors["precision"] = _("Only decimal fields have a precision and a scale.")
        if self.type == FieldTypeKey.ENUM:
            values = self.enum_values
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) and v for v in values)
            ):
                errors["enum_values"] = _("An enumeration needs a list of non-empty text values.")
            elif len(set(values)) != len(values):
                errors["enum_values"] = _("The enumeration values must be unique.")
        elif self.enum_values:
            errors["enum_values"] = _("Only enumeration fields have values.")
        if self.max_length is not None and self.type not in (FieldTypeKey.STRING, FieldTypeKey.ENUM):
            errors["max_length"] = _("Only string fields have a maximum length.")
        if self.max_length is not None and not 1 <= self.max_length <= 10485760:
            errors["max_length"] = _("Between 1 and 10485760 characters.")
        if self.is_version and self.type not in VERSION_TYPES:
            errors["is_version"] = _("A version field must be a number, a date or a date and time.")
        if self.primary_key and not self.required:
            self.required = True  # a key column is never empty
        if errors:
            raise ValidationError(errors)


class LinkCardinality(models.TextChoices):
    ONE_TO_ONE = "one_to_one", _("One to one (1-1)")
    MANY_TO_ONE = "many_to_one", _("Many to one (N-1)")
    ONE_TO_MANY = "one_to_many", _("One to many (1-N)")

    @property
    def reverse(self) -> LinkCardinality:
        return {
            LinkCardinality.ONE_TO_ONE: LinkCardinality.ONE_TO_ONE,
            LinkCardinality.MANY_TO_ONE: LinkCardinality.ONE_TO_MANY,
            LinkCardinality.ONE_TO_MANY: LinkCardinality.MANY_TO_ONE,
        }[self]


class Link(models.Model):
    """A relation between two schemas on key fields, named from each side (purchase.customer /
    customer.purchases). The rule builder walks links; cardinality tells it whether a join multiplies rows.
    """

    source = models.ForeignKey(
        Schema, verbose_name=_("source schema"), on_delete=models.PROTECT, related_name="links_out"
    )
    target = models.ForeignKey(
        Schema, verbose_name=_("target schema"), on_delete=models.PROTECT, related_name="links_in"
    )
    name = models.CharField(
        _("name on the source side"),
        max_length=63,
        validators=[validate_name],
        help_text=_("How the source reaches the target, e.g. purchase.customer."),
    )
    reverse_name = models.CharField(
        _("name on the target side"),
        max_length=63,
        validators=[validate_name],
        help_text=_("How the target reaches the source, e.g. customer.purchases."),
    )
    cardinality = models.CharField(_("cardinality"), max_length=12, choices=LinkCardinality.choices)
    label = models.CharField(_("label"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["source__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="audiences_link_unique_name"),
            models.UniqueConstraint(fields=["target", "reverse_name"], name="audiences_link_unique_reverse"),
        ]

    def __str__(self) -> str:
        return f"{self.source.name}.{self.name}"


class LinkKey(models.Model):
    """One pair of key fields of a link (composite keys have several, ordered by position)."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="keys")
    source_field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="+")
    target_field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("link key")
        verbose_name_plural = _("link keys")
        ordering = ["link_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["link", "source_field"], name="audiences_linkkey_unique_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source_field.name} = {self.target_field.name}"


class SchemaIndex(models.Model):
    """A physical index on a managed schema (added online, or for a link's key columns)."""

    schema = models.ForeignKey(Schema, on_delete=models.CASCADE, related_name="indexes")
    name = models.CharField(_("name"), max_length=63, unique=True)
    columns = models.JSONField(_("columns"), help_text=_("Physical column names, in index order."))
    unique = models.BooleanField(_("unique"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("index")
        verbose_name_plural = _("indexes")
        ordering = ["schema_id", "name"]

    def __str__(self) -> str:
        return self.name


class TargetingDimension(models.Model):
    """A schema that campaigns can target: its identity, addresses and consents per channel."""

    schema = models.OneToOneField(
        Schema, verbose_name=_("schema"), on_delete=models.PROTECT, related_name="targeting_dimension"
    )
    label = models.CharField(_("label"), max_length=200, blank=True)
    identity_field = models.ForeignKey(
        Field, verbose_name=_("identity field"), on_delete=models.PROTECT, related_name="+"
    )
    email_field = models.ForeignKey(
        Field,
        verbose_name=_("email address field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sms_field = models.ForeignKey(
        Field,
        verbose_name=_("phone number field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    push_field = models.ForeignKey(
        Field,
        verbose_name=_("push token field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    email_consent_field = models.ForeignKey(
        Field,
        verbose_name=_("email consent field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sms_consent_field = models.ForeignKey(
        Field,
        verbose_name=_("SMS consent field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    push_consent_field = models.ForeignKey(
        Field,
        verbose_name=_("push consent field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    locale_field = models.ForeignKey(
        Field,
        verbose_name=_("locale field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    timezone_field = models.ForeignKey(
        Field,
        verbose_name=_("time zone field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_default = models.BooleanField(_("default dimension"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("targeting dimension")
        verbose_name_plural = _("targeting dimensions")
        ordering = ["schema__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="audiences_one_default_dimension",
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.schema.name

    # Field roles by channel: the channel key -> (address attribute, consent attribute).
    CHANNEL_FIELDS = {
        "email": ("email_field", "email_consent_field"),
        "sms": ("sms_field", "sms_consent_field"),
        "push": ("push_field", "push_consent_field"),
    }
    ROLE_FIELDS = (
        "identity_field",
        "email_field",
        "sms_field",
        "push_field",
        "email_consent_field",
        "sms_consent_field",
        "push_consent_field",
        "locale_field",
        "timezone_field",
    )

    def clean(self) -> None:
        errors = {}
        for role in self.ROLE_FIELDS:
            field = getattr(self, role, None) if getattr(self, f"{role}_id", None) else None
            if field is not None and field.schema_id != self.schema_id:
                errors[role] = _("The field must belong to the dimension's schema.")
        for _channel, (_address, consent) in self.CHANNEL_FIELDS.items():
            field = getattr(self, consent) if getattr(self, f"{consent}_id") else None
            if field is not None and field.type != FieldTypeKey.BOOLEAN and consent not in errors:
                errors[consent] = _("A consent field must be a boolean.")
        if errors:
            raise ValidationError(errors)
