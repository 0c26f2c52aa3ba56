from rest_framework import serializers

from campaigns.models import CampaignVersion, Launch, ScheduleKind, Task


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class DuplicateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class CampaignStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()


class VersionSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CampaignVersion
        fields = [
            "id",
            "number",
            "state",
            "graph_version",
            "content_hash",
            "test_run",
            "requested_by",
            "requested_at",
            "request_comment",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
            "published_by",
            "published_at",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields


class DiffEntrySerializer(serializers.Serializer):
    path = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class VersionDetailSerializer(VersionSerializer):
    document = serializers.JSONField(read_only=True)
    changes = DiffEntrySerializer(many=True, read_only=True, help_text="Since the last approved version.")

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "document", "changes"]
        read_only_fields = fields


class ParameterSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    type = serializers.ChoiceField(
        choices=["string", "integer", "number", "boolean", "date"], default="string"
    )
    required = serializers.BooleanField(default=False)
    default = serializers.JSONField(required=False, allow_null=True)


class ScheduleSerializer(serializers.Serializer):
    """``rule`` by kind: once {at}; daily {time, days, weekdays}; intraday {hours | every_minutes,
    window_start, window_end, weekdays}; weekly {time, weekdays, every_weeks, anchor}; monthly {time,
    months, day | last_day | nth + weekday}; asap and signal {}. Weekdays: 0 = Monday."""

    kind = serializers.ChoiceField(choices=ScheduleKind.choices, default=ScheduleKind.ASAP)
    rule = serializers.DictField(required=False, default=dict)
    timezone = serializers.CharField(max_length=64, default="UTC")
    valid_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    parameters = ParameterSerializer(many=True, required=False, default=list)
    trigger_interval_seconds = serializers.IntegerField(min_value=0, max_value=10**7, default=60)


class PreviewTimeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    local = serializers.CharField()


class TriggerSerializer(serializers.Serializer):
    variables = serializers.DictField(required=False, default=dict)


class TriggerResultSerializer(serializers.Serializer):
    launch = serializers.IntegerField()
    outcome = serializers.CharField()
    run = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()
    variables = serializers.DictField()
    message = serializers.CharField()


class LaunchSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Launch
        fields = [
            "id",
            "source",
            "outcome",
            "due_at",
            "version",
            "run",
            "actor",
            "variables",
            "message",
            "created_at",
        ]
        read_only_fields = fields


class HoldSerializer(serializers.ModelSerializer):
    run = serializers.IntegerField(source="run_id", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "run", "activity_key", "type", "input_count", "message", "created_at"]
        read_only_fields = fields
