"""Every model change comes with its migration."""

from io import StringIO

from django.core.management import call_command


def test_no_model_change_is_missing_a_migration(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=StringIO())
    except SystemExit:
        raise AssertionError("Model changes without a migration:\n" + out.getvalue()) from None


def test_migrations_create_the_organiser_group_with_feedback_permissions(db):
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="Organiser").permissions.values_list("codename", flat=True))
    assert {"change_answer", "view_participant", "add_consultation"} <= codenames
