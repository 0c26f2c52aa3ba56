"""The senders' safety net: every minute, settle the claims of senders that died (lease expired) and
re-enqueue deliveries that still have rows to send, so a delivery resumes without another sender."""

from django.db import migrations

SCHEDULES = [
    ("channels: recover deliveries", "channels.tasks.recover_deliveries_task", 1),
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
        ("oc_channels", "0002_delivery_sender_seen_at"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create, remove)]
