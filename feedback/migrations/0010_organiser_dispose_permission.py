"""Gives the Organiser group the right to record dispositions and replies (moderators do not have it)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Organiser")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="feedback", codename="dispose_comment")
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Organiser"):
        group.permissions.remove(*Permission.objects.filter(codename="dispose_comment"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0009_comment_dispose_permission")]

    operations = [migrations.RunPython(grant, revoke)]
