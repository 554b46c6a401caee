"""Every model change comes with its migration."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from feedback.models import Consultation, Question


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


@pytest.mark.django_db(transaction=True)
def test_the_translation_migrations_reverse_with_content_and_apply_again(back_to_the_latest_migration):
    now = timezone.now()
    # Entered after the migrations: the optional English columns (summary_en, help_text_en, ...) are NULL.
    consultation = Consultation.objects.create(
        title="Judiciary",
        slug="judiciary",
        stakeholder_group="Judges",
        opens_at=now,
        closes_at=now + timedelta(days=1),
    )
    Question.objects.create(consultation=consultation, number=1, text="Is it clear?")

    executor = MigrationExecutor(connection)
    executor.migrate([("feedback", "0012_retention_erasure")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, stakeholder_group, summary FROM feedback_consultation")
        assert cursor.fetchall() == [("Judiciary", "Judges", "")]
        cursor.execute("SELECT text, help_text FROM feedback_question")
        assert cursor.fetchall() == [("Is it clear?", "")]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Consultation.objects.values_list("title_en", "stakeholder_group_en").get() == (
        "Judiciary",
        "Judges",
    )
