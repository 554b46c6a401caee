"""The three organising roles as groups.

- Organiser: every permission of the feedback app, the identified export and the audit trail included.
- Moderator: moderates and codes answers and comments; reads the set-up; no participant identities, no export.
- Analyst: reads everything but identities and exports pseudonymised data; changes nothing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SETUP_MODELS = ["consultation", "resource", "resourcesection", "consultationresource", "question"]
CODING_MODELS = ["codebook", "theme"]

ROLES = {
    "Moderator": [
        *[f"view_{model}" for model in SETUP_MODELS + CODING_MODELS],
        "view_answer",
        "change_answer",
        "view_comment",
        "change_comment",
        "view_revision",
    ],
    "Analyst": [
        *[f"view_{model}" for model in SETUP_MODELS + CODING_MODELS],
        "view_answer",
        "view_comment",
        "export_pseudonymised",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    feedback = Permission.objects.filter(content_type__app_label="feedback")
    organiser, _created = Group.objects.get_or_create(name="Organiser")
    organiser.permissions.add(*feedback)
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(feedback.filter(codename__in=codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0005_moderation_redaction_themes_audit")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
