"""From comment to change: re-anchoring kept per version, the redline, comments linked to the paragraphs that
address them, responses published to each participant who may say whether they are satisfied, and the next round."""

import random
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from feedback.models import (
    AuditEvent,
    Comment,
    CommentChange,
    CommentPlacement,
    ConsultationResource,
    Participant,
    Response,
)
from feedback.organising import anchoring, lifecycle, responses, versions
from feedback.organising.drafts import Block, Draft, Section
from tests.conftest import submit
from tests.test_anchoring import VOCABULARY, reword, sentence

V1 = Draft(
    title="Toolkit",
    sections=(
        Section(
            "1",
            "Scope",
            1,
            (
                Block(
                    "paragraph", "This toolkit applies to every law enforcement agency that uses AI systems."
                ),
                Block("paragraph", "It does not replace national law."),
            ),
        ),
        Section(
            "2",
            "Oversight",
            1,
            (
                Block(
                    "paragraph", "Agencies keep a register of the tools they use and review it every year."
                ),
                Block(
                    "paragraph", "Human oversight applies to every automated decision that affects a person."
                ),
                Block("paragraph", "Vendors shall disclose the training data of their models on request."),
                Block("paragraph", "Each tool has an owner who answers for it."),
                Block("paragraph", "Owners report to the oversight board twice a year."),
            ),
        ),
    ),
)
V2 = Draft(
    title="Toolkit",
    sections=(
        Section(
            "1",
            "Scope",
            1,
            (
                Block(
                    "paragraph", "This toolkit applies to every law enforcement agency that uses AI systems."
                ),
                Block("paragraph", "It does not replace national law."),
                # Moved here from section 2.
                Block(
                    "paragraph", "Agencies keep a register of the tools they use and review it every year."
                ),
            ),
        ),
        Section(
            "2",
            "Oversight",
            1,
            (
                Block(
                    "paragraph",
                    "Human oversight applies to every automated decision with legal or similar effect on a person.",
                ),
                Block("paragraph", "Each tool has an owner who answers for it."),
                Block("paragraph", "Owners report to the oversight board twice a year."),
            ),
        ),
    ),
)


@pytest.fixture
def toolkit(consultation, olga):
    stored = versions.import_new_resource(consultation=consultation, draft=V1, source_name="v1.docx", by=olga)
    return stored.resource


def paragraph(resource, version: int, section: str, number: int):
    return resource.versions.get(number=version).sections.get(number=section).paragraphs.get(number=number)


def comment_on(participant, resource, para, *, quote: str = "", text: str = "A comment.", **extra) -> Comment:
    response, _created = Response.objects.get_or_create(participant=participant)
    start = para.text.index(quote) if quote else None
    return Comment.objects.create(
        response=response,
        resource=resource,
        section=para.section,
        paragraph=para,
        quote=quote,
        quote_start=start,
        text=text,
        **extra,
    )


@pytest.fixture
def commented(toolkit, alice, bob):
    """Comments on version 1: a quote kept word for word, a reworded paragraph, a deleted one, a moved one."""
    comments = {
        "exact": comment_on(alice, toolkit, paragraph(toolkit, 1, "1", 2), quote="national law"),
        "approximate": comment_on(
            alice,
            toolkit,
            paragraph(toolkit, 1, "2", 2),
            text="Too broad: say which decisions.",
            proposed_change="decisions with legal effect",
            disposition=Comment.Disposition.ACCEPTED,
            organiser_reply="Narrowed as you proposed.",
        ),
        "orphaned": comment_on(bob, toolkit, paragraph(toolkit, 1, "2", 3), text="Vendors will refuse."),
        "moved": comment_on(bob, toolkit, paragraph(toolkit, 1, "2", 1), text="A register is a good idea."),
    }
    submit(alice)
    submit(bob)
    return comments


@pytest.fixture
def version_2(toolkit, commented, olga):
    return versions.import_version(resource=toolkit, draft=V2, source_name="v2.docx", by=olga)


# Re-anchoring, persisted


def test_a_new_version_keeps_where_each_comment_of_the_previous_one_landed(toolkit, commented, version_2):
    placements = {p.comment_id: p for p in CommentPlacement.objects.filter(version=version_2.version)}

    exact = placements[commented["exact"].pk]
    assert exact.status == "exact" and exact.paragraph.label == "1 ¶2"
    assert exact.paragraph.text[exact.start : exact.end] == "national law"
    approximate = placements[commented["approximate"].pk]
    assert approximate.status == "approximate" and approximate.paragraph.label == "2 ¶1"
    assert 0.6 <= approximate.score < 1
    orphaned = placements[commented["orphaned"].pk]
    assert orphaned.status == "orphaned" and orphaned.paragraph is None and orphaned.label == ""
    moved = placements[commented["moved"].pk]
    assert moved.status == "exact" and moved.paragraph.label == "1 ¶3" and moved.section.number == "1"


def test_re_anchoring_never_moves_the_comments_own_anchor(toolkit, commented, version_2):
    comment = Comment.objects.get(pk=commented["approximate"].pk)

    assert comment.version.number == 1
    assert comment.paragraph.label == "2 ¶2"
    assert comment.paragraph.text.startswith("Human oversight applies to every automated decision that")


def test_the_comment_queue_lists_comments_orphaned_in_a_version(olga_client, commented, version_2):
    page = olga_client.get("/admin/feedback/comment/", {"status": "all", "orphaned_in": "2"})

    assert page.status_code == 200
    assert "Vendors will refuse." in page.text
    assert "A register is a good idea." not in page.text
    assert "Orphaned in v2" in page.text


def test_the_change_form_shows_where_later_versions_placed_the_comment(olga_client, commented, version_2):
    page = olga_client.get(f"/admin/feedback/comment/{commented['approximate'].pk}/change/")

    assert "v2 · Found approximately · 2 ¶1" in page.text


# The redline


def test_organisers_compare_two_versions_section_by_section(
    olga_client, toolkit, version_2, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        page = olga_client.get(f"/admin/feedback/resource/{toolkit.pk}/compare/", {"old": 1, "new": 2})

    assert page.status_code == 200
    text = page.text
    assert "Changes from version 1 to version 2" in text
    assert "Moved 2 ¶1 → 1 ¶3" in text
    assert '<ins><span class="visually-hidden">[inserted: </span>with legal or similar effect on' in text
    assert '<del><span class="visually-hidden">[deleted: </span>' in text
    assert "Removed (was 2 ¶3)" in text


def test_comparing_a_version_with_itself_is_refused_with_a_message(olga_client, toolkit, version_2):
    page = olga_client.get(f"/admin/feedback/resource/{toolkit.pk}/compare/", {"old": 2, "new": 2})

    assert "Choose two different versions." in page.text


def test_the_comparison_is_not_found_for_a_missing_resource(olga_client):
    assert olga_client.get("/admin/feedback/resource/999999/compare/").status_code == 404


# Linking a disposition to the change


def test_an_organiser_links_a_comment_to_the_paragraph_that_addresses_it(
    olga_client, toolkit, commented, version_2
):
    comment = commented["approximate"]
    target = paragraph(toolkit, 2, "2", 1)
    page = olga_client.get(f"/admin/feedback/comment/{comment.pk}/change/")
    assert "v2, 2 ¶1: Human oversight" in page.text

    olga_client.post(
        f"/admin/feedback/comment/{comment.pk}/change/",
        {
            "status": "approved",
            "moderator_note": "",
            "disposition": "accepted",
            "organiser_reply": "Narrowed as you proposed.",
            "addressed_by": [target.pk],
        },
    )

    change = CommentChange.objects.get(comment=comment)
    assert change.paragraph == target and change.kind == "changed"
    assert change.label == "v2, 2 ¶1"
    assert "{+with legal or similar effect on+}" in change.redline_text()
    event = AuditEvent.objects.get(action=AuditEvent.Action.LINK)
    assert event.before == {"addressed_in": []} and event.after == {"addressed_in": ["v2, 2 ¶1"]}


def test_a_comment_cannot_be_linked_to_a_paragraph_of_its_own_version(toolkit, commented, version_2, olga):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        responses.link_changes(
            comment=commented["exact"], paragraphs=[paragraph(toolkit, 1, "1", 1)], by=olga
        )

    assert error.value.code == "not_later_version"
    assert not CommentChange.objects.exists()


def test_moderators_without_the_disposition_right_see_links_but_cannot_make_them(
    client, mona, toolkit, commented, version_2, olga
):
    responses.link_changes(
        comment=commented["approximate"], paragraphs=[paragraph(toolkit, 2, "2", 1)], by=olga
    )
    client.force_login(mona)

    page = client.get(f"/admin/feedback/comment/{commented['approximate'].pk}/change/")

    assert 'name="addressed_by"' not in page.text
    assert "v2, 2 ¶1" in page.text


def test_the_resolution_report_and_the_comment_sheet_say_where_a_comment_was_addressed(
    olga_client, consultation, toolkit, commented, version_2, olga
):
    responses.link_changes(
        comment=commented["approximate"], paragraphs=[paragraph(toolkit, 2, "2", 1)], by=olga
    )

    report = olga_client.get(f"/analysis/{consultation.slug}/resources/{toolkit.pk}/resolution/")
    csv = olga_client.get(f"/analysis/{consultation.slug}/resources/{toolkit.pk}/resolution.csv")

    assert "v2, 2 ¶1" in report.text and "<ins>" in report.text
    header, *rows = csv.content.decode().splitlines()
    assert header.endswith(",addressed_in")
    assert any(
        "v2, 2 ¶1: Human oversight" in row and "{+with legal or similar effect on+}" in row for row in rows
    )


# Publishing the responses


@pytest.fixture
def published(consultation, toolkit, commented, version_2, olga, alice):
    alice.language = "fr"
    alice.save()
    responses.link_changes(
        comment=commented["approximate"], paragraphs=[paragraph(toolkit, 2, "2", 1)], by=olga
    )
    link = ConsultationResource.objects.get(consultation=consultation, resource=toolkit)
    responses.publish_responses(link=link, deadline=timezone.now() + timedelta(days=14), by=olga)
    link.refresh_from_db()
    return link


def test_publishing_responses_mails_each_commenter_in_their_language_and_is_audited(
    published, alice, bob, django_capture_on_commit_callbacks
):
    # The fixture published outside a captured commit; publish for a second resource setup is not needed:
    # the mails were queued on commit, which pytest-django runs at the end of the atomic block in tests.
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESPONSES)
    assert event.count == 2 and event.after["responses_deadline"]
    assert published.responses_published_at is not None


def test_the_admin_page_publishes_responses_and_mails_in_each_language(
    olga_client, consultation, toolkit, commented, alice, django_capture_on_commit_callbacks
):
    alice.language = "fr"
    alice.save()
    link = ConsultationResource.objects.get(consultation=consultation, resource=toolkit)
    deadline = timezone.localtime(timezone.now() + timedelta(days=10))

    with django_capture_on_commit_callbacks(execute=True):
        page = olga_client.post(
            f"/admin/feedback/consultation/{consultation.pk}/publish-responses/",
            {"link": link.pk, "deadline_0": deadline.strftime("%Y-%m-%d"), "deadline_1": "12:00:00"},
        )

    assert page.status_code == 302
    assert len(mail.outbox) == 2
    french = next(message for message in mail.outbox if message.to == ["alice@example.org"])
    assert "/c/tech-providers/responses/" in french.body
    # In French where the catalogue has the words already (the new sentences are translated at the end).
    assert "Ce nouveau lien remplace tout lien" in french.body
    english = next(message for message in mail.outbox if message.to == ["bob@example.org"])
    assert "This new link replaces any earlier link" in english.body
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RESPONSES).count() == 1


def test_publishing_with_a_past_deadline_is_refused_and_nothing_changes(
    olga_client, consultation, toolkit, commented
):
    link = ConsultationResource.objects.get(consultation=consultation, resource=toolkit)

    page = olga_client.post(
        f"/admin/feedback/consultation/{consultation.pk}/publish-responses/",
        {"link": link.pk, "deadline_0": "2020-01-01", "deadline_1": "12:00:00"},
    )

    assert page.status_code == 200 and "must be in the future" in page.text
    link.refresh_from_db()
    assert link.responses_published_at is None and not mail.outbox


def test_moderators_cannot_publish_responses(client, mona, consultation):
    client.force_login(mona)

    assert client.get(f"/admin/feedback/consultation/{consultation.pk}/publish-responses/").status_code == 403


# The participant's page of responses


def test_the_responses_page_is_not_found_until_responses_are_published(alice_client, consultation, commented):
    assert alice_client.get("/c/tech-providers/responses/").status_code == 404


def test_a_participant_reads_the_response_to_each_of_their_comments_with_the_redline(
    alice_client, published, commented, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        page = alice_client.get("/c/tech-providers/responses/")

    assert page.status_code == 200
    text = page.text
    assert "Narrowed as you proposed." in text
    assert "<ins>" in text and "with legal or similar effect on" in text
    assert "Too broad: say which decisions." in text
    # Only her own comments: bob's are on the same resource.
    assert "Vendors will refuse." not in text and "A register is a good idea." not in text
    assert 'href="/c/tech-providers/responses/"' in text  # in the navigation


def test_a_participant_says_whether_a_response_satisfies_them(alice_client, published, commented):
    comment = commented["approximate"]

    page = alice_client.post(
        f"/c/tech-providers/responses/{comment.pk}/not-satisfied/", {"note": "Still too broad."}
    )

    assert page.status_code == 302 and page["Location"].endswith(f"/responses/#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.satisfaction == "not_satisfied" and comment.satisfaction_note == "Still too broad."
    alice_client.post(f"/c/tech-providers/responses/{comment.pk}/satisfied/", {"note": ""})
    comment.refresh_from_db()
    assert comment.satisfaction == "satisfied" and comment.satisfaction_note == ""
    events = AuditEvent.objects.filter(action=AuditEvent.Action.SATISFACTION, object_id=str(comment.pk))
    assert [e.after["satisfaction"] for e in events.order_by("id")] == ["not_satisfied", "satisfied"]


def test_a_participant_cannot_answer_for_another_participants_comment(alice_client, published, commented):
    bobs = commented["orphaned"]

    assert alice_client.post(f"/c/tech-providers/responses/{bobs.pk}/satisfied/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.satisfaction == ""


def test_after_the_deadline_the_page_is_read_only_and_views_are_refused(alice_client, published, commented):
    # `published` mails alice in French; this test reads her page in English.
    Participant.objects.filter(
        pk=published.consultation.participants.get(email="alice@example.org").pk
    ).update(language="en")
    published.responses_deadline = timezone.now() - timedelta(minutes=1)
    published.save()
    comment = commented["approximate"]

    page = alice_client.get("/c/tech-providers/responses/")
    post = alice_client.post(f"/c/tech-providers/responses/{comment.pk}/satisfied/", follow=True)

    assert "this page is read-only" in page.text and "/satisfied/" not in page.text
    assert "no longer taken" in post.text
    comment.refresh_from_db()
    assert comment.satisfaction == ""


def test_a_note_too_long_is_refused_with_a_message_and_nothing_saved(alice_client, published, commented):
    # `published` mails alice in French; this test reads her page in English.
    Participant.objects.filter(
        pk=published.consultation.participants.get(email="alice@example.org").pk
    ).update(language="en")
    comment = commented["approximate"]

    page = alice_client.post(
        f"/c/tech-providers/responses/{comment.pk}/satisfied/", {"note": "x" * 2001}, follow=True
    )

    assert "The note is too long" in page.text
    comment.refresh_from_db()
    assert comment.satisfaction == ""


def test_an_erased_participant_drops_out_of_the_responses(alice_client, published, commented, alice, olga):
    lifecycle.erase_participant(participant=alice, by=olga, reason="Asked to be forgotten")

    assert alice_client.get("/c/tech-providers/responses/").status_code == 404
    assert responses.participants_with_comments(published).filter(pk=alice.pk).count() == 0


# The next round


def test_duplicating_a_consultation_carries_the_newest_version_of_each_resource(
    consultation, toolkit, version_2, olga
):
    copy = lifecycle.duplicate_consultation(consultation=consultation, by=olga)

    link = copy.resource_links.get(resource=toolkit)
    assert link.version == version_2.version


# Placements beyond the next version: comments on version 1 are placed in version 3 too


def generated_draft(texts: dict[str, list[str]]) -> Draft:
    return Draft(
        title="Generated toolkit",
        sections=tuple(
            Section(number, f"Section {number}", 1, tuple(Block("paragraph", text) for text in paragraphs))
            for number, paragraphs in texts.items()
        ),
    )


@pytest.fixture
def three_versions(consultation, olga, alice, bob):
    """A generated draft in three versions, commented on in the first two: one paragraph kept word for word,
    one reworded a little in each version, one removed from version 3, one moved to another section in it."""
    rng = random.Random(14)
    v1 = {
        s: [" ".join(sentence(rng, f"item {s}.{n}.{k}") for k in range(2)) for n in range(1, 5)]
        for s in "123"
    }
    drifting = v1["2"][0]
    v2 = {s: list(paragraphs) for s, paragraphs in v1.items()}
    v2["2"][0] = reword(drifting, random.Random(1))
    v3 = {s: list(paragraphs) for s, paragraphs in v2.items()}
    v3["2"][0] = " ".join(
        random.Random(2).choice(VOCABULARY) if n % 4 == 1 else word
        for n, word in enumerate(v2["2"][0].split(" "))
    )
    del v3["3"][3]  # 3 ¶4 goes
    v3["3"].append(v3["1"].pop(2))  # 1 ¶3 moves to the end of section 3
    stored = versions.import_new_resource(
        consultation=consultation, draft=generated_draft(v1), source_name="v1.md", by=olga
    )
    resource = stored.resource
    kept_quote = v1["1"][1].split(" (")[0]
    on_v1 = {
        "kept": comment_on(alice, resource, paragraph(resource, 1, "1", 2), quote=kept_quote),
        "drifting": comment_on(alice, resource, paragraph(resource, 1, "2", 1), text="Say who decides."),
        "removed": comment_on(alice, resource, paragraph(resource, 1, "3", 4), text="Drop this."),
        "moved": comment_on(alice, resource, paragraph(resource, 1, "1", 3), text="Belongs elsewhere."),
    }
    submit(alice)
    versions.import_version(resource=resource, draft=generated_draft(v2), source_name="v2.md", by=olga)
    on_v2 = comment_on(bob, resource, paragraph(resource, 2, "1", 2), quote=kept_quote, text="Agreed.")
    submit(bob)
    third = versions.import_version(
        resource=resource, draft=generated_draft(v3), source_name="v3.md", by=olga
    )
    return resource, on_v1, on_v2, third, (v1, v3)


def test_comments_on_the_first_version_are_placed_in_the_third(three_versions):
    resource, on_v1, on_v2, third, _texts = three_versions
    placed = {p.comment_id: p for p in CommentPlacement.objects.filter(version=third.version)}

    assert set(placed) == {comment.pk for comment in [*on_v1.values(), on_v2]}
    kept = placed[on_v1["kept"].pk]
    assert kept.status == "exact" and kept.paragraph.label == "1 ¶2"
    assert kept.paragraph.text[kept.start : kept.end] == on_v1["kept"].quote
    moved = placed[on_v1["moved"].pk]
    assert moved.status == "exact" and moved.paragraph.label == "3 ¶4" and moved.section.number == "3"
    assert placed[on_v1["removed"].pk].status == "orphaned"
    assert placed[on_v2.pk].status == "exact" and placed[on_v2.pk].paragraph.label == "1 ¶2"
    assert third.placement_counts() == {"exact": 3, "approximate": 1, "orphaned": 1}


def test_a_passage_reworded_in_each_version_is_found_through_the_previous_placement(three_versions):
    resource, on_v1, _on_v2, third, (v1, v3) = three_versions
    comment = on_v1["drifting"]

    # Version 1's words alone are too far from version 3's ...
    direct = anchoring.reanchor(versions.anchor_of(comment), versions.paragraphs_of(third.version))
    assert direct.status == "orphaned"
    # ... but version 2 placed the comment, and version 3 finds it from there.
    placement = CommentPlacement.objects.get(comment=comment, version=third.version)
    assert placement.status == "approximate" and placement.paragraph.label == "2 ¶1"
    assert placement.paragraph.text == v3["2"][0] != v1["2"][0]


def test_comments_orphaned_in_the_third_version_are_listed_for_the_organisers(olga_client, three_versions):
    page = olga_client.get("/admin/feedback/comment/", {"status": "all", "orphaned_in": "3"})

    assert "Orphaned in v3" in page.text
    assert "Drop this." in page.text
    assert "Belongs elsewhere." not in page.text


def test_importing_the_third_version_records_how_earlier_comments_were_placed(three_versions):
    _resource, _on_v1, _on_v2, third, _texts = three_versions
    event = AuditEvent.objects.filter(action=AuditEvent.Action.DRAFT).latest("pk")

    assert event.details["version"] == 3
    assert event.details["placements"] == {"exact": 3, "approximate": 1, "orphaned": 1}


def test_replacing_an_uncommented_version_places_earlier_comments_in_the_new_text(three_versions, olga):
    resource, on_v1, _on_v2, third, (_v1, v3) = three_versions
    v3["3"].insert(0, "A new opening paragraph of section three.")

    again = versions.import_version(
        resource=resource, draft=generated_draft(v3), source_name="v3b.md", by=olga
    )

    assert again.replaced and again.version == third.version
    moved = CommentPlacement.objects.get(comment=on_v1["moved"], version=third.version)
    assert moved.status == "exact" and moved.paragraph.label == "3 ¶5"


def test_a_version_with_a_linked_change_is_never_replaced(three_versions, olga):
    resource, on_v1, _on_v2, third, (_v1, v3) = three_versions
    responses.link_changes(comment=on_v1["kept"], paragraphs=[paragraph(resource, 3, "1", 2)], by=olga)

    again = versions.import_version(
        resource=resource, draft=generated_draft(v3), source_name="v3b.md", by=olga
    )

    assert not again.replaced and again.version.number == 4
    assert CommentChange.objects.filter(
        comment=on_v1["kept"], paragraph__section__version=third.version
    ).exists()
