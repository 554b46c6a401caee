"""Theme coding: code books, tagging answers and comments one by one and in bulk, filters, counts, exports."""

import csv
import io
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.exports import columns, formats, shapes
from feedback.models import Answer, AuditEvent, Codebook, Comment, Response, Theme
from feedback.organising import moderation
from tests.conftest import answer, make_participant, submit

ANSWERS = "/admin/feedback/answer/"
COMMENTS = "/admin/feedback/comment/"


@pytest.fixture
def codebook(consultation) -> Codebook:
    codebook = Codebook.objects.create(name="Test principles")
    lawfulness = codebook.themes.create(code="1", name="Lawfulness")
    codebook.themes.create(code="1.1", name="Legitimacy", parent=lawfulness)
    codebook.themes.create(code="2", name="Minimisation of harm")
    consultation.codebook = codebook
    consultation.save()
    return codebook


@pytest.fixture
def themes(codebook) -> dict[str, Theme]:
    return {theme.code: theme for theme in codebook.themes.all()}


@pytest.fixture
def foreign_theme(other_consultation) -> Theme:
    """A theme of another series' code book, which must never be offered for this consultation."""
    other = Codebook.objects.create(name="Academia themes")
    other_consultation.codebook = other
    other_consultation.save()
    return other.themes.create(code="A1", name="Research ethics")


@pytest.fixture
def answers(alice, bob, questions, codebook) -> list[Answer]:
    created = [
        answer(alice, questions[0], "Audit logs matter"),
        answer(alice, questions[1], "Bias testing is costly"),
        answer(bob, questions[0], "Human oversight first"),
    ]
    submit(alice)
    submit(bob)
    return created


@pytest.fixture
def comments(alice, bob, resource, codebook) -> list[Comment]:
    created = []
    for participant, text in ((alice, "Too long"), (bob, "Clear enough")):
        response, _created = Response.objects.get_or_create(participant=participant)
        created.append(Comment.objects.create(response=response, resource=resource, text=text))
    return created


def codes(item: Answer | Comment) -> list[str]:
    return sorted(item.themes.values_list("code", flat=True))


def post_action(client, url: str, action: str, items: list, **extra: object):
    data = {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [item.pk for item in items], **extra}
    return client.post(url, data)


def tag_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.TAG).order_by("id"))


# The service


def test_tagging_in_bulk_adds_themes_and_records_each_item(answers, themes, mona):
    changed = moderation.tag(items=answers[:2], themes=[themes["1"], themes["2"]], by=mona)

    assert changed == 2
    assert codes(answers[0]) == codes(answers[1]) == ["1", "2"]
    assert codes(answers[2]) == []
    events = sorted(tag_events(), key=lambda event: int(event.object_id))
    assert [(e.object_id, e.before, e.after) for e in events] == [
        (str(answers[0].pk), {"themes": []}, {"themes": ["1", "2"]}),
        (str(answers[1].pk), {"themes": []}, {"themes": ["1", "2"]}),
    ]
    assert all(e.actor == mona and e.consultation_id == answers[0].question.consultation_id for e in events)


def test_tagging_again_changes_nothing_and_records_nothing(answers, themes, mona):
    moderation.tag(items=answers, themes=[themes["1"]], by=mona)

    assert moderation.tag(items=answers, themes=[themes["1"]], by=mona) == 0
    assert len(tag_events()) == 3


def test_removing_themes_in_bulk(answers, themes, mona):
    moderation.tag(items=answers, themes=[themes["1"], themes["2"]], by=mona)

    changed = moderation.tag(
        items=Answer.objects.filter(pk=answers[0].pk), themes=[themes["1"]], by=mona, remove=True
    )

    assert changed == 1
    assert codes(answers[0]) == ["2"]
    assert codes(answers[1]) == ["1", "2"]
    assert tag_events()[-1].before == {"themes": ["1", "2"]}
    assert tag_events()[-1].after == {"themes": ["2"]}
    assert tag_events()[-1].details == {"remove": True}


def test_a_theme_of_another_code_book_is_never_added(answers, foreign_theme, mona):
    assert moderation.tag(items=answers, themes=[foreign_theme], by=mona) == 0
    assert codes(answers[0]) == []


def test_comments_are_tagged_the_same_way(comments, themes, mona):
    assert moderation.tag(items=comments, themes=[themes["2"]], by=mona) == 2
    assert codes(comments[0]) == ["2"]
    assert tag_events()[0].object_type == "comment"


@pytest.mark.parametrize("remove", [False, True])
def test_tagging_costs_the_same_for_2_and_for_20_items(consultation, questions, codebook, mona, remove):
    theme = codebook.themes.get(code="1")

    def tag_queries(n: int) -> int:
        Answer.objects.all().delete()
        items = []
        for i in range(n):
            participant = make_participant(consultation, f"P{n}-{i}", f"p{n}-{i}@example.org")
            items.append(answer(participant, questions[0], f"Answer {i}"))
        if remove:
            moderation.tag(items=items, themes=[theme], by=mona)
        with CaptureQueriesContext(connection) as captured:
            assert moderation.tag(items=Answer.objects.all(), themes=[theme], by=mona, remove=remove) == n
        return len(captured.captured_queries)

    assert tag_queries(2) == tag_queries(20)


# One by one, on the change form


def test_the_change_form_offers_only_the_themes_of_the_consultations_code_book(
    client, mona, answers, themes, foreign_theme
):
    client.force_login(mona)

    content = client.get(f"{ANSWERS}{answers[0].pk}/change/").content.decode()

    assert "Legitimacy" in content
    assert "Research ethics" not in content


@pytest.mark.parametrize("kind", ["answer", "comment"])
def test_the_moderator_tags_one_item_on_its_change_form(client, mona, answers, comments, themes, kind):
    item = answers[0] if kind == "answer" else comments[0]
    client.force_login(mona)
    form = client.get(f"/admin/feedback/{kind}/{item.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    data.update({"themes": [themes["1"].pk, themes["1.1"].pk], "status": item.status})

    response = client.post(f"/admin/feedback/{kind}/{item.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert codes(item) == ["1", "1.1"]
    (event,) = tag_events()
    assert (event.object_type, event.actor) == (kind, mona)
    assert (event.before, event.after) == ({"themes": []}, {"themes": ["1", "1.1"]})


def test_a_foreign_theme_posted_to_the_change_form_is_refused(client, mona, answers, foreign_theme):
    client.force_login(mona)

    response = client.post(
        f"{ANSWERS}{answers[0].pk}/change/",
        {"status": "pending", "moderator_note": "", "themes": [foreign_theme.pk]},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert codes(answers[0]) == []


# In bulk, from the queues


def test_add_themes_first_shows_a_page_with_the_code_books_themes(
    client, mona, answers, themes, foreign_theme
):
    client.force_login(mona)

    response = post_action(client, ANSWERS, "add_themes", answers[:2])

    content = response.content.decode()
    assert response.status_code == 200
    assert "Choose the themes for 2 selected answers." in content
    assert "1.1 Legitimacy" in content
    assert "Research ethics" not in content
    assert content.count('name="_selected_action"') == 2
    assert codes(answers[0]) == []


@pytest.mark.parametrize(("url", "fixture"), [(ANSWERS, "answers"), (COMMENTS, "comments")])
def test_applying_adds_and_then_removes_the_themes(client, mona, themes, request, url, fixture):
    items = request.getfixturevalue(fixture)
    client.force_login(mona)

    added = post_action(client, url, "add_themes", items[:2], apply="Apply", themes=[themes["2"].pk])

    assert added.status_code == 302
    assert [codes(item) for item in items[:2]] == [["2"], ["2"]]
    listing = client.get(url + "?status=all").content.decode()
    assert "Changed the themes of 2 items." in listing
    assert re.findall(r'<td class="field-theme_codes">([^<]*)</td>', listing).count("2") == 2

    removed = post_action(client, url, "remove_themes", items[:1], apply="Apply", themes=[themes["2"].pk])

    assert removed.status_code == 302
    assert codes(items[0]) == []
    assert codes(items[1]) == ["2"]
    assert len(tag_events()) == 3


def test_applying_without_a_theme_asks_again(client, mona, answers, themes):
    client.force_login(mona)

    response = post_action(client, ANSWERS, "add_themes", answers, apply="Apply")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert tag_events() == []


def test_applying_to_all_matching_items_follows_the_filter(client, mona, answers, themes):
    client.force_login(mona)

    response = client.post(
        ANSWERS + f"?question__id__exact={answers[0].question_id}",
        {
            "action": "add_themes",
            "index": 0,
            "select_across": "1",
            ACTION_CHECKBOX_NAME: [answers[0].pk],
            "apply": "Apply",
            "themes": [themes["1"].pk],
        },
    )

    assert response.status_code == 302
    assert [codes(a) for a in answers] == [["1"], [], ["1"]]


# Filters and columns


def test_the_queues_filter_by_theme_and_by_untagged(client, mona, answers, comments, themes):
    moderation.tag(items=answers[:1], themes=[themes["1"]], by=mona)
    moderation.tag(items=comments[:1], themes=[themes["1"]], by=mona)
    client.force_login(mona)

    for url, items in ((ANSWERS, answers), (COMMENTS, comments)):
        tagged = client.get(f"{url}?theme={themes['1'].pk}").content.decode()
        untagged = client.get(f"{url}?theme=none").content.decode()
        assert f'value="{items[0].pk}"' in tagged
        assert f'value="{items[1].pk}"' not in tagged
        assert f'value="{items[0].pk}"' not in untagged
        assert f'value="{items[1].pk}"' in untagged
        assert "Untagged" in untagged


def test_the_answer_queue_runs_as_many_queries_for_20_as_for_2_tagged_answers(
    client, mona, consultation, questions, themes
):
    client.force_login(mona)

    def page_queries(n: int) -> int:
        Answer.objects.all().delete()
        items = []
        for i in range(n):
            participant = make_participant(consultation, f"P{n}-{i}", f"p{n}-{i}@example.org")
            items.append(answer(participant, questions[0], f"Answer {i}"))
        moderation.tag(items=items, themes=[themes["1"], themes["2"]], by=mona)
        with CaptureQueriesContext(connection) as captured:
            content = client.get(ANSWERS).content.decode()
        assert content.count('<td class="field-theme_codes">1, 2</td>') == n
        return len(captured.captured_queries)

    assert page_queries(2) == page_queries(20)


def test_the_comment_queue_runs_as_many_queries_for_20_as_for_2_tagged_comments(
    client, mona, consultation, resource, themes
):
    client.force_login(mona)

    def page_queries(n: int) -> int:
        Comment.objects.all().delete()
        items = []
        for i in range(n):
            participant = make_participant(consultation, f"C{n}-{i}", f"c{n}-{i}@example.org")
            response = Response.objects.create(participant=participant)
            items.append(Comment.objects.create(response=response, resource=resource, text=f"Comment {i}"))
        moderation.tag(items=items, themes=[themes["2"]], by=mona)
        with CaptureQueriesContext(connection) as captured:
            content = client.get(COMMENTS).content.decode()
        assert content.count('<td class="field-theme_codes">2</td>') == n
        return len(captured.captured_queries)

    assert page_queries(2) == page_queries(20)


# The code book pages


def test_the_theme_list_counts_tagged_answers_and_comments(client, olga, answers, comments, themes, mona):
    moderation.tag(items=answers, themes=[themes["1"]], by=mona)
    moderation.tag(items=comments[:1], themes=[themes["1"]], by=mona)
    client.force_login(olga)

    content = client.get(
        f"/admin/feedback/theme/?codebook__id__exact={themes['1'].codebook_id}"
    ).content.decode()

    assert '<td class="field-answer_count">3</td><td class="field-comment_count">1</td>' in content
    assert '<td class="field-answer_count">0</td><td class="field-comment_count">0</td>' in content


def test_the_theme_list_runs_a_constant_number_of_queries(
    client, olga, codebook, django_assert_max_num_queries
):
    client.force_login(olga)
    for i in range(20):
        codebook.themes.create(code=f"9.{i:02d}", name=f"Extra {i}")

    with django_assert_max_num_queries(8):
        assert client.get("/admin/feedback/theme/").status_code == 200


def test_the_code_book_page_lists_its_themes_inline(client, olga, codebook):
    client.force_login(olga)

    listing = client.get("/admin/feedback/codebook/").content.decode()
    page = client.get(f"/admin/feedback/codebook/{codebook.pk}/change/").content.decode()

    assert "Test principles" in listing
    assert 'value="1.1"' in page
    assert "Minimisation of harm" in page


def test_the_theme_list_can_be_searched(client, olga, codebook):
    client.force_login(olga)

    content = client.get("/admin/feedback/theme/?q=Legitimacy").content.decode()

    assert "Legitimacy" in content
    assert "Minimisation of harm" not in content


# Who may tag


def test_the_analyst_is_not_offered_tagging_and_cannot_tag(client, ann, answers, themes):
    client.force_login(ann)

    listing = client.get(ANSWERS).content.decode()
    response = post_action(client, ANSWERS, "add_themes", answers, apply="Apply", themes=[themes["1"].pk])
    change_page = client.get(f"{ANSWERS}{answers[0].pk}/change/")
    posted = client.post(
        f"{ANSWERS}{answers[0].pk}/change/", {"status": "pending", "themes": [themes["1"].pk]}
    )

    assert "add_themes" not in listing
    assert response.status_code == 302  # Django answers an unknown action with "No action selected"
    assert 'name="themes"' not in change_page.content.decode()
    assert posted.status_code == 403
    assert codes(answers[0]) == []
    assert tag_events() == []


def test_the_moderator_is_offered_both_bulk_actions(client, mona, answers):
    client.force_login(mona)

    listing = client.get(ANSWERS).content.decode()

    assert 'value="add_themes"' in listing
    assert 'value="remove_themes"' in listing


# Exports


@pytest.mark.parametrize("profile", ["identified", "pseudonymised", "chatham-house"])
def test_exports_list_theme_codes_in_code_order(consultation, answers, comments, themes, mona, profile):
    moderation.tag(items=answers[:1], themes=[themes["2"], themes["1.1"], themes["1"]], by=mona)
    for comment in comments:
        submit(comment.response.participant)
    moderation.tag(items=comments[:1], themes=[themes["2"]], by=mona)

    text = "".join(
        formats.csv_chunks(
            shapes.answers_for_export(consultation),
            comments=shapes.comments_for_export(consultation),
            profile=profile,
        )
    )

    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["themes"] for row in rows] == ["1; 1.1; 2", "", "", "2", ""]
    assert [row["redacted"] for row in rows] == [""] * 5
    assert ",themes,submitted_at,attribution,last_edited_at,redacted,language," in text.splitlines()[0]


def test_exporting_tagged_answers_costs_the_same_for_2_and_20(
    consultation, questions, themes, mona, django_assert_max_num_queries
):
    def export_queries(n: int) -> int:
        Answer.objects.all().delete()
        items = []
        for i in range(n):
            participant = make_participant(consultation, f"E{n}-{i}", f"e{n}-{i}@example.org")
            items.append(answer(participant, questions[0], f"Answer {i}"))
            submit(participant)
        moderation.tag(items=items, themes=[themes["1"]], by=mona)
        with CaptureQueriesContext(connection) as captured:
            rows = list(shapes.long_rows(shapes.answers_for_export(consultation), profile="identified"))
        assert [row[columns.LONG_COLUMNS.index("themes")] for row in rows] == ["1"] * n
        return len(captured.captured_queries)

    assert export_queries(2) == export_queries(20) == 2
