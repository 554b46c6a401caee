"""Personas: alice and bob take part, carol takes part elsewhere; olga organises, mona moderates, ann analyses,
rita takes notes at the meeting."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone, translation

from feedback.models import (
    Answer,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    Response,
)


@pytest.fixture
def consultation(db) -> Consultation:
    now = timezone.now()
    return Consultation.objects.create(
        title="Technology providers' consultation",
        slug="tech-providers",
        stakeholder_group="Technology providers",
        background="Background text.",
        meeting_starts_at=datetime(2022, 11, 3, 13, 0, tzinfo=ZoneInfo("Europe/Paris")),
        meeting_ends_at=datetime(2022, 11, 3, 14, 30, tzinfo=ZoneInfo("Europe/Paris")),
        time_zone="Europe/Paris",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=27),
    )


@pytest.fixture
def resource(consultation) -> Resource:
    resource = Resource.objects.create(
        title="Principles for Responsible AI Innovation",
        category=Resource.Category.PRIMARY,
        version_label="Draft",
    )
    resource.sections.create(position=1, heading="Core principles", body="Lawfulness, ...")
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    return resource


@pytest.fixture
def questions(consultation) -> list[Question]:
    return [
        Question.objects.create(
            consultation=consultation, number=1, text="What are your thoughts?", is_required=True
        ),
        Question.objects.create(consultation=consultation, number=2, text="Anything problematic?"),
    ]


def make_participant(consultation: Consultation, name: str, email: str, **extra) -> Participant:
    participant = Participant(consultation=consultation, name=name, email=email, **extra)
    participant.token = participant.issue_token()
    participant.save()
    return participant


@pytest.fixture
def alice(consultation) -> Participant:
    return make_participant(
        consultation,
        "Alice Martin",
        "alice@example.org",
        organisation="Sentinel Analytics",
        role="Head of product",
        organisation_type=Participant.OrganisationType.PROVIDER_LE_ONLY,
        country="FR",
        attribution=Participant.Attribution.ORGANISATION,
        consented_at=timezone.now(),
    )


@pytest.fixture
def bob(consultation) -> Participant:
    return make_participant(
        consultation,
        "Bob Okafor",
        "bob@example.org",
        organisation="Northbridge Cloud",
        organisation_type=Participant.OrganisationType.PROVIDER_MIXED,
        country="NG",
        attribution=Participant.Attribution.NAMED,
        consented_at=timezone.now(),
    )


@pytest.fixture
def other_consultation(db) -> Consultation:
    now = timezone.now()
    return Consultation.objects.create(
        title="Academia consultation",
        slug="academia",
        stakeholder_group="Academia",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
    )


@pytest.fixture
def carol(other_consultation) -> Participant:
    return make_participant(other_consultation, "Carol Jensen", "carol@example.org", attribution="named")


@pytest.fixture
def alice_client(client: Client, alice: Participant) -> Client:
    """A browser in which alice has confirmed her invitation."""
    client.post(f"/i/{alice.token}/")
    return client


def answer(participant: Participant, question: Question, text: str, **extra) -> Answer:
    response, _created = Response.objects.get_or_create(participant=participant)
    return Answer.objects.create(response=response, question=question, text=text, **extra)


def submit(participant: Participant) -> Response:
    response = participant.response
    response.status = Response.Status.SUBMITTED
    response.submitted_at = timezone.now()
    response.save()
    return response


@pytest.fixture
def olga(db) -> User:
    """The organiser: staff, in the Organiser group."""
    user = User.objects.create_user("olga", "olga@example.org", "olga-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Organiser"))
    return user


@pytest.fixture
def olga_client(client: Client, olga: User) -> Client:
    client.force_login(olga)
    return client


def staff_in(group: str, username: str) -> User:
    user = User.objects.create_user(
        username, f"{username}@example.org", f"{username}-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def mona(db) -> User:
    """The moderator: moderates and codes, sees no identities, exports nothing."""
    return staff_in("Moderator", "mona")


@pytest.fixture
def ann(db) -> User:
    """The analyst: reads and exports pseudonymised data, changes nothing."""
    return staff_in("Analyst", "ann")


@pytest.fixture
def rita(db) -> User:
    """The rapporteur: writes notes during the meeting, reads nothing else."""
    return staff_in("Rapporteur", "rita")


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Every test starts with no request counted against the rate limits (the cache is the memory one), and
    with no poll's checks remembered in this process."""
    from django.core.cache import cache

    from feedback.meeting.services import recent_now
    from feedback.meeting.views import flags

    cache.clear()
    flags.clear()
    recent_now.clear()


@pytest.fixture(autouse=True)
def no_snapshots_of_earlier_tests() -> None:
    """Every test starts with no consultation or draft kept in this process: a rolled-back test's consultation
    id may be used again (SQLite) with the same content version."""
    from feedback.participation import document, snapshot

    snapshot.forget()
    document.forget()


@pytest.fixture(autouse=True)
def english_to_start_with() -> Iterator[None]:
    """Every test starts in English. A request leaves its language active in the thread (the test client runs
    in it), and a fixture that writes consultation content in French would fill the French columns only."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def back_to_the_latest_migration() -> Iterator[None]:
    """For tests that migrate backwards: whatever they leave, the database ends at the newest migrations, or
    every test after them would run on an old schema."""
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Transactional tests (the browser tests' live server, the concurrency tests) flush the database after each
    # test, which also empties what data migrations create (the role groups, the default code book). Running
    # them last keeps that data for every other test; the browser tests put it back for themselves.
    def order(item: pytest.Item) -> int:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            return 2
        marker = item.get_closest_marker("django_db")
        return 1 if marker and marker.kwargs.get("transaction") else 0

    items.sort(key=order)
