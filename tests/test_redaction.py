"""Redaction: a moderator replaces part of an answer or comment with [redacted], with a reason, keeping the original."""

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError

from feedback.exports import columns, formats, shapes
from feedback.models import Answer, AuditEvent, Comment, Response
from feedback.organising import moderation
from feedback.participation import services
from tests.conftest import answer, submit

SECRET = "Call Inspector Jones on +44 20 7946 0000."


@pytest.fixture
def alices_answer(alice, questions) -> Answer:
    item = answer(alice, questions[0], f"Audit logs matter. {SECRET} Audit logs again.")
    submit(alice)
    return item


@pytest.fixture
def alices_comment(alice, resource) -> Comment:
    response, _created = Response.objects.get_or_create(participant=alice)
    return Comment.objects.create(response=response, resource=resource, text=f"Too long. {SECRET}")


def change_url(item: Answer | Comment) -> str:
    return f"/admin/feedback/{item._meta.model_name}/{item.pk}/change/"


def redact_url(item: Answer | Comment) -> str:
    return f"/admin/feedback/{item._meta.model_name}/{item.pk}/redact/"


def clear_url(item: Answer | Comment) -> str:
    return f"/admin/feedback/{item._meta.model_name}/{item.pk}/clear-redaction/"


# The services


def test_redacting_replaces_every_occurrence_and_keeps_the_original(alices_answer, mona):
    moderation.redact(item=alices_answer, passage="Audit logs", reason="Repetition test", by=mona)

    alices_answer.refresh_from_db()
    assert alices_answer.text == f"Audit logs matter. {SECRET} Audit logs again."
    assert alices_answer.redacted_text == f"[redacted] matter. {SECRET} [redacted] again."
    assert alices_answer.shown_value() == alices_answer.redacted_text
    assert alices_answer.redaction_reason == "Repetition test"
    assert alices_answer.redacted_by == mona
    assert alices_answer.redacted_at is not None


def test_a_second_redaction_works_on_the_redacted_text_and_appends_its_reason(alices_answer, mona, olga):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)
    moderation.redact(item=alices_answer, passage="again", reason="Style", by=olga)

    alices_answer.refresh_from_db()
    assert alices_answer.redacted_text == "Audit logs matter. [redacted] Audit logs [redacted]."
    assert alices_answer.redaction_reason == "Names a police officer\nStyle"
    assert alices_answer.redacted_by == olga


def test_a_passage_that_is_not_shown_is_refused(alices_answer, mona):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)

    # Still in the original, but no longer shown: nothing to redact.
    with pytest.raises(ValidationError, match="does not occur"):
        moderation.redact(item=alices_answer, passage="Inspector Jones", reason="Again", by=mona)
    with pytest.raises(ValidationError, match="does not occur"):
        moderation.redact(item=alices_answer, passage="not there at all", reason="Typo", by=mona)


@pytest.mark.parametrize(("passage", "reason"), [("Audit logs", "  "), ("", "A reason")])
def test_a_reason_and_a_passage_are_required(alices_answer, mona, passage, reason):
    with pytest.raises(ValidationError):
        moderation.redact(item=alices_answer, passage=passage, reason=reason, by=mona)

    alices_answer.refresh_from_db()
    assert not alices_answer.is_redacted
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REDACT).exists()


def test_redaction_is_recorded_with_the_shown_texts_and_the_reason(alices_answer, mona, consultation):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)

    event = AuditEvent.objects.get(action=AuditEvent.Action.REDACT)
    assert event.actor == mona
    assert event.consultation == consultation
    assert (event.object_type, event.object_id) == ("answer", str(alices_answer.pk))
    assert event.before == {"text": f"Audit logs matter. {SECRET} Audit logs again."}
    assert event.after == {"text": "Audit logs matter. [redacted] Audit logs again."}
    assert event.details == {"reason": "Names a police officer"}


def test_clearing_a_redaction_shows_the_original_again_and_is_recorded(alices_answer, mona):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)

    moderation.clear_redaction(item=alices_answer, by=mona)

    alices_answer.refresh_from_db()
    assert not alices_answer.is_redacted
    assert alices_answer.redaction_reason == ""
    assert alices_answer.redacted_by is None
    assert alices_answer.shown_value() == alices_answer.text
    cleared = AuditEvent.objects.filter(action=AuditEvent.Action.REDACT).first()  # newest first
    assert cleared.after == {"text": alices_answer.text}
    assert cleared.details == {"cleared": True, "reasons": "Names a police officer"}


def test_comments_are_redacted_the_same_way(alices_comment, mona):
    moderation.redact(item=alices_comment, passage=SECRET, reason="Names a police officer", by=mona)

    alices_comment.refresh_from_db()
    assert alices_comment.shown_value() == "Too long. [redacted]"
    assert alices_comment.text == f"Too long. {SECRET}"
    assert AuditEvent.objects.get(action=AuditEvent.Action.REDACT).object_type == "comment"


def test_a_participants_edit_clears_the_redaction_and_sends_the_answer_back_to_the_queue(
    alices_answer, questions, mona
):
    moderation.moderate_answers(answers=[alices_answer], status=Answer.Status.APPROVED, by=mona)
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)

    services.save_answers(response=alices_answer.response, values={questions[0]: "Something else entirely."})

    alices_answer.refresh_from_db()
    assert alices_answer.text == "Something else entirely."
    assert alices_answer.status == Answer.Status.PENDING
    assert not alices_answer.is_redacted
    assert (alices_answer.redaction_reason, alices_answer.redacted_by, alices_answer.redacted_at) == (
        "",
        None,
        None,
    )


def test_a_participants_edit_clears_the_redaction_of_a_comment(alices_comment, resource, mona):
    moderation.redact(item=alices_comment, passage=SECRET, reason="Names a police officer", by=mona)

    services.edit_comment(comment=alices_comment, text="Shorter.", kind="general", proposed_change="")

    alices_comment.refresh_from_db()
    assert alices_comment.text == "Shorter."
    assert not alices_comment.is_redacted
    assert alices_comment.redaction_reason == ""


# The participant keeps seeing their own words


def test_the_participant_still_sees_their_own_words(alice_client, alices_answer, mona):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)

    content = alice_client.get("/c/tech-providers/review/").content.decode()

    assert "Inspector Jones" in content
    assert "[redacted]" not in content


# Exports show the redaction in every profile


@pytest.mark.parametrize("profile", ["identified", "pseudonymised", "chatham-house"])
def test_every_export_profile_shows_the_redacted_text_and_says_so(
    consultation, alices_answer, bob, questions, mona, profile
):
    answer(bob, questions[0], "Nothing to hide")
    submit(bob)
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)

    text = "".join(formats.csv_chunks(shapes.answers_for_export(consultation), profile=profile))

    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert "Inspector Jones" not in text
    assert [(row["answer"], row["redacted"]) for row in rows] == [
        ("Audit logs matter. [redacted] Audit logs again.", "yes"),
        ("Nothing to hide", ""),
    ]


def test_a_hidden_redacted_answer_still_reads_hidden_in_the_pseudonymised_export(
    consultation, alices_answer, mona
):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)
    moderation.moderate_answers(answers=[alices_answer], status=Answer.Status.HIDDEN, by=mona)

    (row,) = shapes.long_rows(shapes.answers_for_export(consultation), profile="pseudonymised")

    assert row[columns.LONG_COLUMNS.index("answer")] == "[hidden by moderator]"
    assert row[columns.LONG_COLUMNS.index("redacted")] == "yes"


# The admin pages


def test_the_change_page_links_to_the_redaction_form_for_the_moderator(client, mona, alices_answer):
    client.force_login(mona)

    content = client.get(change_url(alices_answer)).content.decode()

    assert f'href="{redact_url(alices_answer)}"' in content
    assert "Nothing is redacted." in content


def test_the_redaction_form_shows_the_original_and_the_current_redaction(client, mona, alices_answer):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)
    client.force_login(mona)

    response = client.get(redact_url(alices_answer))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Inspector Jones" in content  # the original, for the moderator
    assert "Audit logs matter. [redacted] Audit logs again." in content
    assert "Names a police officer" in content
    assert "Clear redaction" in content


@pytest.mark.parametrize("item_fixture", ["alices_answer", "alices_comment"])
def test_the_moderator_redacts_a_passage_from_the_admin(client, mona, request, item_fixture):
    item = request.getfixturevalue(item_fixture)
    client.force_login(mona)

    response = client.post(redact_url(item), {"passage": SECRET, "reason": "Names a police officer"})

    assert response.status_code == 302
    assert response["Location"] == change_url(item)
    item.refresh_from_db()
    assert item.is_redacted
    assert "Inspector Jones" not in item.shown_value()
    queue = client.get(f"/admin/feedback/{item._meta.model_name}/").content.decode()
    excerpt = re.search(r'<td class="field-excerpt">(.*?)</td>', queue).group(1)
    assert "[redacted]" in excerpt
    assert 'class="redacted-marker"' in excerpt
    assert "Inspector Jones" not in excerpt


def test_the_redaction_form_explains_a_passage_that_is_not_shown(client, mona, alices_answer):
    client.force_login(mona)

    response = client.post(redact_url(alices_answer), {"passage": "Superintendent", "reason": "Names"})

    assert response.status_code == 200
    assert "does not occur in the text as it is shown now" in response.content.decode()
    alices_answer.refresh_from_db()
    assert not alices_answer.is_redacted


def test_the_redaction_form_requires_a_reason(client, mona, alices_answer):
    client.force_login(mona)

    response = client.post(redact_url(alices_answer), {"passage": SECRET, "reason": ""})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    alices_answer.refresh_from_db()
    assert not alices_answer.is_redacted


def test_clearing_a_redaction_from_the_admin_takes_a_post(client, mona, alices_answer):
    moderation.redact(item=alices_answer, passage=SECRET, reason="Names a police officer", by=mona)
    client.force_login(mona)

    assert client.get(clear_url(alices_answer)).status_code == 405
    response = client.post(clear_url(alices_answer))

    assert response.status_code == 302
    alices_answer.refresh_from_db()
    assert not alices_answer.is_redacted


def test_the_analyst_can_neither_see_the_link_nor_redact(client, ann, alices_answer):
    client.force_login(ann)

    change_page = client.get(change_url(alices_answer)).content.decode()

    assert redact_url(alices_answer) not in change_page
    assert client.get(redact_url(alices_answer)).status_code == 403
    assert client.post(redact_url(alices_answer), {"passage": SECRET, "reason": "x"}).status_code == 403
    assert client.post(clear_url(alices_answer)).status_code == 403
    alices_answer.refresh_from_db()
    assert not alices_answer.is_redacted


def test_redacting_an_unknown_answer_is_not_found(client, mona, db):
    client.force_login(mona)

    assert client.get("/admin/feedback/answer/999999/redact/").status_code == 404


def test_the_redaction_form_takes_few_queries(client, mona, alices_answer, django_assert_max_num_queries):
    client.force_login(mona)

    with django_assert_max_num_queries(12):
        assert client.get(redact_url(alices_answer)).status_code == 200


# A comment's proposed change is redacted with it; its quoted passage (the draft's own words) is not


@pytest.fixture
def comment_with_change(alice, resource) -> Comment:
    """A submitted comment on a quoted passage of the draft whose proposed change carries personal data."""
    section = resource.sections.first()
    paragraph = section.paragraphs.create(number=1, text="Logs are kept for the time the law allows.")
    response, _created = Response.objects.get_or_create(participant=alice)
    comment = Comment.objects.create(
        response=response,
        resource=resource,
        section=section,
        paragraph=paragraph,
        quote="the time the law allows",
        text="Say how long.",
        proposed_change=f"Five years. {SECRET}",
    )
    submit(alice)
    return comment


def test_a_passage_in_the_proposed_change_only_is_redacted_there_and_marks_the_comment(
    comment_with_change, mona
):
    moderation.redact(item=comment_with_change, passage=SECRET, reason="Names a police officer", by=mona)

    comment_with_change.refresh_from_db()
    assert comment_with_change.proposed_change == f"Five years. {SECRET}"
    assert comment_with_change.shown_proposed_change() == "Five years. [redacted]"
    assert comment_with_change.shown_value() == "Say how long."
    assert comment_with_change.is_redacted
    event = AuditEvent.objects.get(action=AuditEvent.Action.REDACT)
    assert event.after == {"text": "Say how long.", "proposed_change": "Five years. [redacted]"}


def test_a_passage_in_both_is_redacted_in_both_and_the_quote_is_left_alone(comment_with_change, mona):
    moderation.redact(item=comment_with_change, passage="long", reason="Test", by=mona)
    moderation.redact(item=comment_with_change, passage="years", reason="Test", by=mona)

    comment_with_change.refresh_from_db()
    assert comment_with_change.shown_value() == "Say how [redacted]."
    assert comment_with_change.shown_proposed_change() == f"Five [redacted]. {SECRET}"
    with pytest.raises(ValidationError):
        # The quote is the draft's text, not the participant's: not a place to redact.
        moderation.redact(item=comment_with_change, passage="the law allows", reason="Test", by=mona)
    assert comment_with_change.quote == "the time the law allows"


def test_clearing_and_editing_drop_the_redaction_of_the_proposed_change(comment_with_change, mona, olga):
    moderation.redact(item=comment_with_change, passage=SECRET, reason="Names a police officer", by=mona)
    moderation.clear_redaction(item=comment_with_change, by=olga)
    comment_with_change.refresh_from_db()
    assert comment_with_change.shown_proposed_change() == f"Five years. {SECRET}"

    moderation.redact(item=comment_with_change, passage=SECRET, reason="Names a police officer", by=mona)
    services.edit_comment(
        comment=comment_with_change, text="Say how long.", kind="general", proposed_change="Five years."
    )
    comment_with_change.refresh_from_db()
    assert (comment_with_change.redacted_proposed_change, comment_with_change.is_redacted) == ("", False)


@pytest.mark.parametrize("profile", ["identified", "pseudonymised", "chatham-house"])
def test_every_export_and_the_comment_sheet_show_the_redacted_proposed_change(
    consultation, comment_with_change, mona, profile
):
    moderation.redact(item=comment_with_change, passage=SECRET, reason="Names a police officer", by=mona)

    for shape in ("long", "comments"):
        export = shapes.Export.of(consultation, profile=profile, shape=shape)
        text = "".join(formats.export_text(export, file_format="csv"))
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert "Inspector Jones" not in text, shape
        assert [row["proposed_change"] for row in rows] == ["Five years. [redacted]"], shape
    # The whole-consultation long CSV (PostgreSQL's COPY where there is one) says the same.
    out = io.BytesIO()
    formats.write_export(shapes.Export.of(consultation, profile=profile), file_format="csv", fh=out)
    assert b"Inspector Jones" not in out.getvalue() and b"Five years. [redacted]" in out.getvalue()


def test_the_resolution_report_and_the_admin_show_the_redacted_proposed_change(
    client, olga_client, consultation, resource, comment_with_change, mona
):
    moderation.redact(item=comment_with_change, passage=SECRET, reason="Names a police officer", by=mona)

    report = olga_client.get(f"/analysis/{consultation.slug}/resources/{resource.pk}/resolution/")
    report_csv = olga_client.get(f"/analysis/{consultation.slug}/resources/{resource.pk}/resolution.csv")
    client.force_login(mona)
    queue = client.get("/admin/feedback/comment/?status__exact=pending").content.decode()
    form = client.get(redact_url(comment_with_change)).content.decode()

    for page in (report.content.decode(), report_csv.content.decode(), queue):
        assert "Inspector Jones" not in page and "Five years. [redacted]" in page
    # The redaction page shows the moderator the original and what is shown now.
    assert "Inspector Jones" in form and "Five years. [redacted]" in form
