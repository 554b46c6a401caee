"""What participant pages read of a consultation that only organisers change (the consultation itself, its guiding
questions, its resources and the version of each that participants read, whether responses to comments are
published), read once per process and kept until it changes.

Every participant request already reads its consultation's `content_version` with the participant (access.py);
the models raise that number in the same transaction as any change to those rows (models.py,
`touch_consultations`). A process keeps one snapshot per consultation and reads it again when a request brings a
higher number, so a change made through any process or instance is seen by the next request everywhere, with
no message between processes and no cache to flush.

The snapshot's objects are shared by the threads of a process: read them, never change them. Pages get a copy
of the consultation (`consultation()`), as views may set attributes on it.
"""

import copy
import threading
from dataclasses import dataclass, field

from feedback.models import Consultation, ConsultationResource, Question, Resource, ResourceVersion


@dataclass(frozen=True)
class Snapshot:
    version: int
    _consultation: Consultation
    questions: tuple[Question, ...]
    has_published_responses: bool
    by_number: dict[int, Question] = field(default_factory=dict)
    # The consultation's resources by id, each with the version its participants read.
    resources: dict[int, tuple[Resource, ResourceVersion]] = field(default_factory=dict)
    # What else is built once from these rows (the answer form's fields per language): dropped with them.
    memo: dict = field(default_factory=dict)

    def consultation(self) -> Consultation:
        """A copy of the consultation for one request (its attributes are the request's to set)."""
        return copy.copy(self._consultation)

    def question(self, number: int) -> Question | None:
        return self.by_number.get(number)


_snapshots: dict[int, Snapshot] = {}
_lock = threading.Lock()


def snapshot(consultation_id: int, version: int) -> Snapshot:
    """The consultation's snapshot at `version` or later, read from the database when this process has none."""
    found = _snapshots.get(consultation_id)
    if found is not None and found.version >= version:
        return found
    built = build(consultation_id)
    with _lock:
        kept = _snapshots.get(consultation_id)
        # Two threads may read it at once; the newer stays.
        if kept is None or kept.version < built.version:
            _snapshots[consultation_id] = built
    return built


def build(consultation_id: int) -> Snapshot:
    # The consultation (and so its version) first: whatever is read after it is as new or newer, so a snapshot
    # never holds rows older than its version says. Newer is harmless: the change that made them newer raised
    # the version too, and the next request reads them again.
    consultation = Consultation.objects.get(pk=consultation_id)
    questions = tuple(Question.objects.filter(consultation_id=consultation_id).order_by("number"))
    for question in questions:
        question.consultation = consultation
    links = list(
        ConsultationResource.objects.filter(consultation_id=consultation_id).select_related(
            "resource", "version"
        )
    )
    published = any(link.responses_published_at is not None for link in links)
    return Snapshot(
        version=consultation.content_version,
        _consultation=consultation,
        questions=questions,
        has_published_responses=published,
        by_number={question.number: question for question in questions},
        resources=read_versions(links),
    )


def read_versions(links: list[ConsultationResource]) -> dict[int, tuple[Resource, ResourceVersion]]:
    """Each linked resource with the version chosen for the consultation, else its newest (one query for all)."""
    newest: dict[int, ResourceVersion] = {}
    unchosen = [link.resource_id for link in links if link.version_id is None]
    for version in ResourceVersion.objects.filter(resource_id__in=unchosen).order_by(
        "resource_id", "-number"
    ):
        newest.setdefault(version.resource_id, version)
    found = {}
    for link in links:
        version = link.version or newest.get(link.resource_id) or link.resource.latest_version()
        found[link.resource_id] = (link.resource, version)
    return found


def forget() -> None:
    """Drop every snapshot of this process (tests: a new test's consultation may reuse an id)."""
    _snapshots.clear()
