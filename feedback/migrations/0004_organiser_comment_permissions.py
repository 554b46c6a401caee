"""Gives the Organiser group the permissions of the models added since it was created (comments, revisions)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_MODELS = ["comment", "revision"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Organiser")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="feedback", content_type__model__in=NEW_MODELS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Organiser"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="feedback", content_type__model__in=NEW_MODELS)
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_comments_revisions_resource_files")]

    operations = [migrations.RunPython(grant, revoke)]
