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


def test_migrations_create_the_moderator_and_analyst_roles(db):
    from django.contrib.auth.models import Group

    def codenames(name: str) -> set[str]:
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert {"change_answer", "change_comment", "view_theme"} <= codenames("Moderator")
    assert not {"view_participant", "change_consultation", "export_identified"} & codenames("Moderator")
    assert "export_pseudonymised" in codenames("Analyst")
    assert not {c for c in codenames("Analyst") if not c.startswith("view_")} - {"export_pseudonymised"}
    assert "view_participant" not in codenames("Analyst")
    assert {"export_identified", "view_auditevent"} <= codenames("Organiser")


def test_migrations_load_the_toolkit_principles_as_the_default_code_book(db):
    from feedback.models import Theme

    themes = Theme.objects.filter(codebook__name="Toolkit principles for responsible AI innovation")
    assert themes.filter(parent__isnull=True).count() == 5
    assert themes.filter(parent__isnull=False).count() == 18
    assert themes.get(code="3.2").name == "Human control and oversight"
    assert themes.get(code="3.2").parent.name == "Human autonomy"
