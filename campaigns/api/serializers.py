from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.services import SHAREABLE_ACTIONS
from campaigns.models import Campaign, Run, RunEvent, RunKind, Task, TransitionResult


class CampaignSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "description", "owner", "status", "graph_version", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "status", "graph_version", "created_at", "updated_at"]


class ShareSerializer(serializers.Serializer):
    actions = serializers.ListField(child=serializers.ChoiceField(choices=SHAREABLE_ACTIONS), min_length=1)
    users = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), many=True, required=False
    )
    groups = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), many=True, required=False
    )


class ActivityDocumentSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=63)
    type = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    x = serializers.FloatField(required=False, default=0)
    y = serializers.FloatField(required=False, default=0)
    config = serializers.JSONField(required=False, default=dict)
    enabled = serializers.BooleanField(required=False, default=True)
    breakpoint = serializers.BooleanField(required=False, default=False)


class TransitionDocumentSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=63)
    output = serializers.CharField(max_length=63, required=False, default="out")
    target = serializers.CharField(max_length=63)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class GraphSerializer(serializers.Serializer):
    """The whole graph; ``version`` must be the one read (a stale write gets 409)."""

    version = serializers.IntegerField(min_value=0)
    activities = ActivityDocumentSerializer(many=True)
    transitions = TransitionDocumentSerializer(many=True)

    def to_internal_value(self, data):
        """A graph over the activity limit (or with more transitions than such a graph can have) is
        refused before its thousands of items are validated one by one."""
        from campaigns.engine.validation import MAX_ACTIVITIES
        from campaigns.services.graph import max_graph_transitions, too_many_activities_message

        if isinstance(data, dict):
            activities, transitions = data.get("activities"), data.get("transitions")
            if isinstance(activities, list) and len(activities) > MAX_ACTIVITIES:
                raise serializers.ValidationError({"activities": [too_many_activities_message()]})
            if isinstance(transitions, list) and len(transitions) > max_graph_transitions():
                raise serializers.ValidationError(
                    {"transitions": [_("At most %(n)s transitions.") % {"n": max_graph_transitions()}]}
                )
        return super().to_internal_value(data)


class RunStartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RunKind.choices, default=RunKind.TEST)
    variables = serializers.DictField(required=False, default=dict)


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = [
            "id",
            "activity_key",
            "type",
            "status",
            "input_count",
            "output_count",
            "created_at",
            "started_at",
            "finished_at",
            "duration_ms",
            "due_at",
            "heartbeat_at",
            "attempt",
            "message",
            "error",
            "sql",
        ]


class TransitionResultSerializer(serializers.ModelSerializer):
    dimension = serializers.CharField(source="dimension.schema.name", read_only=True, default=None)

    class Meta:
        model = TransitionResult
        fields = [
            "id",
            "source_key",
            "output",
            "target_key",
            "activated",
            "row_count",
            "dimension",
            "key_columns",
            "columns",
            "table_name",
        ]


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunEvent
        fields = ["at", "level", "activity_key", "message"]


class RunSerializer(serializers.ModelSerializer):
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "campaign",
            "kind",
            "status",
            "started_by",
            "variables",
            "graph_version",
            "created_at",
            "started_at",
            "finished_at",
            "purged_at",
        ]


class RunDetailSerializer(RunSerializer):
    tasks = TaskSerializer(many=True, read_only=True)
    results = TransitionResultSerializer(many=True, read_only=True)
    events = RunEventSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "tasks", "results", "events"]


class PreviewColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    personal = serializers.BooleanField(required=False)


class RunPreviewSerializer(serializers.Serializer):
    """The first rows of a transition's working table; personal columns are listed in ``hidden``
    instead for users without the personal-data preview permission."""

    columns = PreviewColumnSerializer(many=True)
    hidden = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField(allow_null=True)))
    row_count = serializers.IntegerField(allow_null=True)


class RunPreviewQuery(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, required=False, help_text="Rows (capped by OC_PREVIEW_ROWS_MAX)."
    )
