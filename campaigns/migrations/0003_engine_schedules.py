"""The engine's recurring jobs: the reaper (re-queues tasks whose worker died) and the working-table purge."""

from django.db import migrations

SCHEDULES = [
    ("campaigns: reap stalled tasks", "campaigns.tasks.tasks_reap", 1),
    ("campaigns: purge working tables", "campaigns.tasks.worktables_purge", 60),
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.get_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1}
        )


def remove(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_graph_and_runs"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create, remove)]
