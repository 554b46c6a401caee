"""Creates the Organiser group with every permission of the feedback app."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_organiser_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Organiser")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="feedback"))


def remove_organiser_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Organiser").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_organiser_group, remove_organiser_group)]
