"""Create the four product-profile groups (permissions are attached after migrate, see apps.py)."""

from django.db import migrations


def create_profiles(apps, schema_editor):
    from accounts.profiles import sync_product_profiles

    sync_product_profiles(
        group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission")
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_profiles, migrations.RunPython.noop)]
