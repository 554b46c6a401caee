"""The meeting's permissions for the roles, and the Rapporteur role.

- Organiser: every permission of the meeting's models (the console, keeping a rehearsal, attendance, summaries).
- Moderator: runs the console, moderates and codes live points and rapporteur notes.
- Analyst: reads the agenda, live points, rapporteur notes and summaries.
- Rapporteur (new): writes notes per agenda item during the meeting and reads the agenda; nothing else.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MEETING_MODELS = [
    "agendaitem",
    "meetingstate",
    "attendance",
    "livepoint",
    "rapporteurnote",
    "questionsummary",
]

GRANTS = {
    "Organiser": [
        *[f"{action}_{model}" for model in MEETING_MODELS for action in ("add", "change", "delete", "view")],
        "run_meeting",
        "keep_rehearsal",
    ],
    "Moderator": [
        "run_meeting",
        "view_agendaitem",
        "view_meetingstate",
        "view_attendance",
        "view_livepoint",
        "change_livepoint",
        "view_rapporteurnote",
        "change_rapporteurnote",
    ],
    "Analyst": ["view_agendaitem", "view_livepoint", "view_rapporteurnote", "view_questionsummary"],
    "Rapporteur": ["view_agendaitem", "add_rapporteurnote", "view_rapporteurnote"],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    feedback = Permission.objects.filter(content_type__app_label="feedback")
    for name, codenames in GRANTS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*feedback.filter(codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.filter(name="Rapporteur").delete()
    for group in Group.objects.filter(name__in=list(GRANTS)):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="feedback", codename__in=GRANTS[group.name])
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0024_meeting_models")]

    operations = [migrations.RunPython(grant, revoke)]
