"""Acceptance figures: what became of the comments on a resource, per stakeholder group and per round of the
series, with small groups suppressed, on the dashboard, the resolution report, the comparison and the exports."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from feedback.exports.acceptance import ACCEPTANCE_COLUMNS, acceptance
from feedback.exports.formats import write_export
from feedback.exports.shapes import Export, ExportFilters
from feedback.models import (
    AuditEvent,
    Comment,
    CommentChange,
    Consultation,
    ConsultationResource,
    Participant,
    Resource,
    ResourceParagraph,
    ResourceSection,
    ResourceVersion,
    Response,
)
from feedback.organising import lifecycle
from tests.conftest import make_participant

D = Comment.Disposition
S = Comment.Satisfaction

# One comment per participant of the first industry round, in this order: (disposition, satisfaction, linked).
INDUSTRY_1 = [
    (D.ACCEPTED, S.SATISFIED, True),
    (D.ACCEPTED, S.SATISFIED, False),
    (D.PARTLY_ACCEPTED, S.NOT_SATISFIED, False),
    (D.NOT_ACCEPTED, "", False),
    ("", "", False),
]


def round_of(
    group: str, slug: str, *, days_ago: int, version: ResourceVersion, resource: Resource
) -> Consultation:
    now = timezone.now()
    consultation = Consultation.objects.create(
        title=f"{group} round {slug}",
        slug=slug,
        stakeholder_group=group,
        opens_at=now - timedelta(days=days_ago),
        closes_at=now - timedelta(days=days_ago - 20),
    )
    ConsultationResource.objects.create(consultation=consultation, resource=resource, version=version)
    return consultation


def commenters(
    consultation: Consultation,
    section: ResourceSection,
    outcomes: list[tuple[str, str, bool]],
    change_to=None,
) -> list[Participant]:
    """A submitted participant per outcome, each with one comment on the section with that outcome."""
    people = []
    for i, (disposition, satisfaction, linked) in enumerate(outcomes):
        person = make_participant(
            consultation, f"Person {consultation.slug} {i}", f"p{i}@{consultation.slug}.example.org"
        )
        response = Response.objects.create(
            participant=person, status=Response.Status.SUBMITTED, submitted_at=timezone.now()
        )
        comment = Comment.objects.create(
            response=response,
            resource=section.resource,
            section=section,
            text=f"Comment {i} of {consultation.slug}",
            disposition=disposition,
            satisfaction=satisfaction,
        )
        if linked:
            CommentChange.objects.create(
                comment=comment, paragraph=change_to, kind=CommentChange.Kind.CHANGED
            )
        people.append(person)
    return people


def make_toolkit() -> Resource:
    """A resource in two versions, each with one section of one paragraph."""
    resource = Resource.objects.create(title="Toolkit", category=Resource.Category.PRIMARY)
    for number in (1, 2):
        version = ResourceVersion.objects.create(resource=resource, number=number)
        section = ResourceSection.objects.create(
            resource=resource, version=version, position=1, number="1", heading="Scope"
        )
        ResourceParagraph.objects.create(section=section, number=1, text=f"Scope, as in version {number}.")
    return resource


@pytest.fixture
def toolkit(db) -> Resource:
    return make_toolkit()


@pytest.fixture
def rounds(toolkit) -> dict:
    return make_rounds(toolkit)


def make_rounds(toolkit: Resource) -> dict:
    """Industry round 1 on v1 (5 commenters), industry round 2 on v2 (5), academia on v1 (4)."""
    v1, v2 = toolkit.versions.order_by("number")
    s1, s2 = v1.sections.get(), v2.sections.get()
    change = s2.paragraphs.get()
    industry_1 = round_of("Industry", "industry-1", days_ago=100, version=v1, resource=toolkit)
    industry_2 = round_of("Industry", "industry-2", days_ago=40, version=v2, resource=toolkit)
    academia = round_of("Academia", "academia", days_ago=90, version=v1, resource=toolkit)
    people = {
        "industry-1": commenters(industry_1, s1, INDUSTRY_1, change),
        "industry-2": commenters(industry_2, s2, [(D.NOTED, S.SATISFIED, False)] * 5),
        "academia": commenters(academia, s1, [(D.ACCEPTED, S.SATISFIED, True)] * 4, change),
    }
    # Neither a hidden comment nor one of a draft response counts.
    hidden = Comment.objects.get(text="Comment 0 of industry-2")
    Comment.objects.create(
        response=hidden.response, resource=toolkit, section=s2, text="Hidden.", status=Comment.Status.HIDDEN
    )
    drafter = make_participant(industry_1, "Drafter", "drafter@example.org")
    Comment.objects.create(
        response=Response.objects.create(participant=drafter), resource=toolkit, section=s1, text="Draft."
    )
    return {"industry-1": industry_1, "industry-2": industry_2, "academia": academia, "people": people}


def figures_of(result, group: str, slug: str | None = None):
    (item,) = result
    found = next(g for g in item.groups if g.stakeholder_group == group)
    if slug is None:
        return found.figures
    return next(r for r in found.rounds if r.consultation.slug == slug).figures


def test_a_round_counts_each_disposition_links_and_the_participants_answers(rounds):
    result = acceptance(rounds["industry-1"])
    figures = figures_of(result, "Industry", "industry-1")

    assert not figures.is_suppressed
    assert (figures.participants, figures.comments) == (5, 5)
    assert (figures.accepted, figures.partly_accepted, figures.not_accepted, figures.noted) == (2, 1, 1, 0)
    assert figures.undecided == 1
    assert figures.linked == 1
    assert (figures.satisfied, figures.not_satisfied) == (2, 1)


def test_a_group_adds_up_its_rounds_and_each_round_says_which_version_it_commented_on(rounds):
    (item,) = acceptance(rounds["industry-1"])
    industry = next(g for g in item.groups if g.stakeholder_group == "Industry")

    assert [(r.consultation.slug, r.versions) for r in industry.rounds] == [
        ("industry-1", [1]),
        ("industry-2", [2]),
    ]
    assert (industry.figures.participants, industry.figures.comments, industry.figures.noted) == (10, 10, 5)
    assert industry.figures.satisfied == 7


def test_a_group_of_four_is_suppressed_and_a_group_of_five_is_not(rounds):
    result = acceptance(rounds["academia"])

    academia = figures_of(result, "Academia")
    assert academia.is_suppressed and academia.participants == academia.comments == academia.accepted == 0
    assert figures_of(result, "Academia", "academia").is_suppressed
    assert not figures_of(result, "Industry", "industry-2").is_suppressed
    assert figures_of(result, "Industry", "industry-2").participants == 5


def test_a_group_is_suppressed_when_its_other_rounds_would_give_a_small_round_away(rounds, olga):
    lifecycle.erase_participant(participant=rounds["people"]["industry-2"][0], by=olga, reason="Asked")

    result = acceptance(rounds["industry-1"])

    assert figures_of(result, "Industry", "industry-2").is_suppressed
    assert not figures_of(result, "Industry", "industry-1").is_suppressed
    # 9 participants in all, but less industry-1's 5 it would show industry-2's 4.
    assert figures_of(result, "Industry").is_suppressed


def test_erased_participants_drop_out_of_the_figures(rounds, olga):
    lifecycle.erase_participant(participant=rounds["people"]["industry-1"][0], by=olga, reason="Asked")

    figures = figures_of(acceptance(rounds["industry-1"], suppress=False), "Industry", "industry-1")

    assert (figures.participants, figures.comments, figures.accepted, figures.linked) == (4, 4, 1, 0)


def test_without_suppression_small_groups_keep_their_figures(rounds):
    academia = figures_of(acceptance(rounds["academia"], suppress=False), "Academia")

    assert not academia.is_suppressed
    assert (academia.participants, academia.accepted, academia.linked, academia.satisfied) == (4, 4, 4, 4)


def test_the_figures_take_a_fixed_number_of_queries(rounds, django_assert_num_queries):
    with django_assert_num_queries(4):
        acceptance(rounds["industry-1"])


# The acceptance export


def export_rows(consultation: Consultation, profile: str, file_format: str = "csv", **filters) -> list[dict]:
    export = Export.of(consultation, profile=profile, shape="acceptance", filters=ExportFilters(**filters))
    fh = io.BytesIO()
    write_export(export, file_format=file_format, fh=fh)
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(fh.getvalue().decode("utf-8"))))
    if file_format == "json":
        document = json.loads(fh.getvalue())
        assert document["shape"] == "acceptance" and document["columns"] == ACCEPTANCE_COLUMNS
        return document["rows"]
    rows = list(load_workbook(fh, read_only=True).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], (cell or "" for cell in row), strict=True)) for row in rows[1:]]


def row_of(rows: list[dict], group: str, round_slug: str = "") -> dict:
    return next(row for row in rows if row["stakeholder_group"] == group and row["round"] == round_slug)


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
@pytest.mark.parametrize("profile", ["pseudonymised", "chatham-house"])
def test_exports_other_than_identified_suppress_small_groups(rounds, profile, file_format):
    rows = export_rows(rounds["industry-1"], profile, file_format)

    assert list(rows[0]) == ACCEPTANCE_COLUMNS
    academia = row_of(rows, "Academia")
    assert academia["suppressed"] == "yes" and academia["participants"] == academia["accepted"] == ""
    industry = row_of(rows, "Industry", "industry-1")
    assert (
        industry["suppressed"] == "" and industry["accepted"] == "2" and industry["linked_to_change"] == "1"
    )
    assert industry["versions"] == "1" and industry["no_disposition"] == "1"


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_the_identified_export_keeps_small_groups_but_still_names_nobody(rounds, file_format):
    rows = export_rows(rounds["industry-1"], "identified", file_format)

    academia = row_of(rows, "Academia")
    assert academia["suppressed"] == "" and academia["participants"] == "4" and academia["satisfied"] == "4"
    text = json.dumps(rows)
    assert "Person" not in text and "example.org" not in text


def test_the_export_filters_narrow_the_counted_comments(rounds):
    rows = export_rows(rounds["industry-1"], "identified", statuses=["approved"])

    assert row_of(rows, "Industry", "industry-1")["comments"] == "0"


def test_export_feedback_writes_the_acceptance_shape_and_audits_it(rounds, tmp_path):
    out = tmp_path / "acceptance.csv"

    call_command("export_feedback", "industry-1", "--shape", "acceptance", "-o", str(out))

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row_of(rows, "Academia")["suppressed"] == "yes"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.details["shape"] == "acceptance" and event.details["profile"] == "pseudonymised"


def test_the_admin_export_page_counts_and_downloads_the_acceptance_shape(olga_client, rounds):
    url = f"/admin/feedback/consultation/{rounds['industry-1'].pk}/export/"
    choice = {"shape": "acceptance", "format": "csv", "profile": "pseudonymised"}

    page = olga_client.get(url, choice)
    assert "0 answers and 10 comments will be exported" in page.text and "(5 rows)" in page.text
    download = olga_client.post(url, choice)

    rows = list(csv.DictReader(io.StringIO(download.getvalue().decode("utf-8"))))
    assert len(rows) == 5 and row_of(rows, "Academia", "academia")["suppressed"] == "yes"
    assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).details["shape"] == "acceptance"


# The pages


def section_of(page: str, start: str, end: str = "</section>") -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def test_the_dashboard_shows_what_became_of_the_comments_with_small_groups_suppressed(client, ann, rounds):
    client.force_login(ann)

    page = client.get("/analysis/industry-1/").content.decode()

    section = section_of(page, 'id="acceptance-heading"')
    assert "What became of the comments on Toolkit, by stakeholder group and round" in section
    academia = section.split("Academia</th>")[1].split("</tbody>")[0]
    assert academia.count("fewer than 5 — suppressed") == 2 and ">4<" not in academia
    first = section.split("Industry round industry-1")[1].split("</tr>")[0]
    cells = [cell.split("<")[0] for cell in first.split('<td class="text-end">')[1:]]
    assert cells == ["5", "5", "2", "1", "1", "0", "1", "1", "2", "1"]
    assert "v1" in first


def test_the_dashboard_takes_the_same_queries_whatever_the_number_of_rounds(
    client, ann, rounds, toolkit, django_assert_max_num_queries
):
    from tests.test_analysis import count_queries

    client.force_login(ann)
    few = count_queries(client, "/analysis/industry-1/")
    v2 = toolkit.versions.get(number=2)
    extra = round_of("Judiciary", "judiciary", days_ago=10, version=v2, resource=toolkit)
    commenters(extra, v2.sections.get(), [(D.NOTED, "", False)] * 6)
    with django_assert_max_num_queries(few):
        assert "Judiciary" in client.get("/analysis/industry-1/").content.decode()


def test_the_resolution_report_shows_the_figures_and_offers_them_as_csv(olga_client, rounds, toolkit):
    page = olga_client.get(f"/analysis/industry-1/resources/{toolkit.pk}/resolution/").content.decode()

    assert "What became of the comments" in page and "Industry round industry-2" in page
    download = olga_client.get(f"/analysis/industry-1/resources/{toolkit.pk}/acceptance.csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8"))))
    # Suppressed on the page and in its CSV, whoever reads them: even the organisers.
    assert row_of(rows, "Academia")["suppressed"] == "yes" and row_of(rows, "Academia")["participants"] == ""
    assert row_of(rows, "Industry", "industry-2")["noted"] == "5"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.details == {"report": "acceptance", "format": "csv", "suppressed": True}


def test_people_who_may_not_read_answers_get_no_figures(client, rita, rounds, toolkit):
    client.force_login(rita)

    assert client.get(f"/analysis/industry-1/resources/{toolkit.pk}/acceptance.csv").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_comparison_tells_the_rounds_apart_and_the_version_each_commented_on(
    olga_client, rounds, toolkit, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        page = olga_client.get("/analysis/compare/", {"resource": toolkit.pk}).content.decode()

    figures = section_of(page, 'id="compare-acceptance-heading"')
    assert "What became of the comments on Toolkit" in figures
    second = figures.split("Industry round industry-2")[1].split("</tr>")[0]
    assert "v2" in second and ">5<" in second
    listing = section_of(page, 'id="rounds-heading"')
    assert listing.index("Industry round industry-1") < listing.index("Academia round academia")
    assert listing.index("Academia round academia") < listing.index("Industry round industry-2")
    row = listing.split("Industry round industry-2")[1].split("</tr>")[0]
    assert "Industry" in row and "Toolkit: v2" in row and "the newest" not in row


def test_a_round_without_a_chosen_version_reads_the_newest(olga_client, rounds, toolkit):
    ConsultationResource.objects.filter(consultation=rounds["academia"]).update(version=None)

    listing = section_of(olga_client.get("/analysis/compare/").content.decode(), 'id="rounds-heading"')

    assert "Toolkit: v2 <span" in listing.split("Academia round academia")[1] and "(the newest)" in listing
