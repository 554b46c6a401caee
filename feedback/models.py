"""Consultations, their draft resources and guiding questions, and the participants' answers."""

import hashlib
import re
import secrets
import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left, Lower
from django.db.models.lookups import Regex
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

# Characters that change how the text around them is shown (right-to-left overrides, embeddings, isolates) or that
# a terminal acts on (escape and the other control characters): never part of a name or an organisation.
UNSAFE_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def without_unsafe_characters(value: str) -> str:
    """A name or organisation as staff may safely read it (admin, exports, a terminal)."""
    return UNSAFE_IN_NAMES.sub("", value)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_pseudonym() -> str:
    # Stable per participant, printable in exports; 8 characters from a 32-letter alphabet is 40 bits.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "P-" + "".join(secrets.choice(alphabet) for _ in range(8))


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone."), code="invalid", params={"value": value}
        )


class Consultation(models.Model):
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    stakeholder_group = models.CharField(_("stakeholder group"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    background = models.TextField(_("background"), blank=True)
    objective = models.TextField(_("objective"), blank=True)
    structure = models.TextField(_("structure"), blank=True)
    expected_outcomes = models.TextField(_("expected outcomes"), blank=True)
    meeting_starts_at = models.DateTimeField(_("meeting starts at"), null=True, blank=True)
    meeting_ends_at = models.DateTimeField(_("meeting ends at"), null=True, blank=True)
    time_zone = models.CharField(
        _("meeting time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    join_url = models.URLField(
        _("join link"),
        max_length=500,
        blank=True,
        help_text=_(
            "The online meeting's link (Teams, Zoom, Webex...), shown only to signed-in participants."
        ),
    )
    # The calendar entry's SEQUENCE: rises each time the meeting's times change, so calendars replace the entry.
    calendar_sequence = models.PositiveIntegerField(_("calendar revision"), default=0, editable=False)
    opens_at = models.DateTimeField(_("feedback opens at"))
    closes_at = models.DateTimeField(_("feedback closes at"))
    window_note = models.TextField(
        _("note on the feedback window"),
        blank=True,
        help_text=_("Shown on the consultation page, e.g. when the window differs from the meeting date."),
    )
    confidentiality = models.CharField(
        _("confidentiality marking"), max_length=100, default="For official use only"
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    codebook = models.ForeignKey(
        "Codebook",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("theme code book"),
    )
    insights_summary = models.TextField(
        _("insights summary"),
        blank=True,
        help_text=_("The organisers' written summary that heads the insights report."),
    )
    # Set when an organiser publishes the insights report back to the participants; empty while unpublished.
    insights_published_at = models.DateTimeField(_("insights report published at"), null=True, blank=True)
    retention_days = models.PositiveIntegerField(
        _("retention period (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Days after the feedback window closes until manage.py apply_retention erases the participants' "
            "data. Empty keeps it until an organiser decides."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Rises in the same transaction as any change to what participant pages read of the consultation and never
    # changes otherwise: the consultation itself, its guiding questions, its resources' links (touch_consultations
    # below). Each process keeps those rows per consultation until a request brings a higher number
    # (feedback/participation/snapshot.py), so every process and instance sees a change on its next request.
    content_version = models.PositiveBigIntegerField(_("content version"), default=0, editable=False)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        permissions = [
            ("export_identified", _("Can export identified participant data")),
            ("export_pseudonymised", _("Can export pseudonymised participant data")),
        ]
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="consultation_window_valid"
            ),
            models.CheckConstraint(
                condition=Q(meeting_ends_at__isnull=True)
                | Q(meeting_starts_at__isnull=True)
                | Q(meeting_ends_at__gte=models.F("meeting_starts_at")),
                name="consultation_meeting_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            return super().save(*args, **kwargs)
        # Raised by the UPDATE itself, never written back as read: a copy read before another change would
        # otherwise set the number back to one some process already holds older rows under.
        self.content_version = F("content_version") + 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "content_version"}
        super().save(*args, **kwargs)
        self.content_version = (
            Consultation.objects.filter(pk=self.pk).values_list("content_version", flat=True).first()
        )

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("The feedback window must close after it opens.")}, code="window"
            )
        if self.meeting_starts_at and self.meeting_ends_at and self.meeting_ends_at < self.meeting_starts_at:
            raise ValidationError(
                {"meeting_ends_at": _("The meeting must end after it starts.")}, code="meeting"
            )

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.is_published and self.opens_at <= now < self.closes_at

    def has_closed(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.closes_at

    @property
    def has_published_insights(self) -> bool:
        return self.insights_published_at is not None

    # What a calendar entry depends on: a change to one of these makes it a new revision (calendar_sequence).
    CALENDAR_FIELDS = ("meeting_starts_at", "meeting_ends_at", "time_zone", "join_url")

    def calendar_uid(self) -> str:
        """The meeting's calendar entry UID: stable for the consultation's life, whatever changes in it."""
        return f"meeting-{self.pk}@consultation-feedback"

    def is_in_meeting_window(
        self, now: datetime | None = None, *, margin: timedelta = timedelta(minutes=15)
    ) -> bool:
        """Whether `now` is within the planned meeting, give or take `margin` (early arrivals, overruns)."""
        if self.meeting_starts_at is None:
            return False
        now = now or timezone.now()
        ends_at = self.meeting_ends_at or self.meeting_starts_at
        return self.meeting_starts_at - margin <= now <= ends_at + margin

    def retention_ends_at(self) -> datetime | None:
        """When the participants' data falls due for erasure, or None while it is kept without limit."""
        if self.retention_days is None:
            return None
        return self.closes_at + timedelta(days=self.retention_days)


RESOURCE_FILE_EXTENSIONS = ["pdf", "docx", "odt", "xlsx", "pptx", "txt"]
RESOURCE_FILE_MAX_BYTES = 20 * 1024 * 1024


def validate_resource_file_size(value: File) -> None:
    if value.size > RESOURCE_FILE_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)d MB."),
            code="file_too_large",
            params={"limit": RESOURCE_FILE_MAX_BYTES // (1024 * 1024)},
        )


class Resource(models.Model):
    class Category(models.TextChoices):
        PRIMARY = "primary", _("Primary guidance document")
        PRACTICAL = "practical", _("Practical tool")
        SUPPORTING = "supporting", _("Supporting document")

    title = models.CharField(_("title"), max_length=300)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    version_label = models.CharField(_("version"), max_length=50, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    # Served only through the participant download view, never from MEDIA_URL: drafts are not public.
    file = models.FileField(
        _("file"),
        upload_to="resources/",
        blank=True,
        validators=[FileExtensionValidator(RESOURCE_FILE_EXTENSIONS), validate_resource_file_size],
        help_text=_("Optional document for download: PDF, DOCX, ODT, XLSX, PPTX or TXT, up to 20 MB."),
    )
    consultations = models.ManyToManyField(
        Consultation,
        through="ConsultationResource",
        related_name="resources",
        verbose_name=_("consultations"),
    )

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["title"]
        constraints = [
            # Per language (title_en, title_fr, ...; feedback/translation.py), never on `title` itself: that column
            # holds whichever language was active at the last save, so a rule on it clashes across languages.
            *(
                models.UniqueConstraint(
                    fields=[f"title_{code}", "version_label"], name=f"resource_title_version_unique-{code}"
                )
                for code, _name in settings.LANGUAGES
            ),
            models.CheckConstraint(
                condition=Q(category__in=["primary", "practical", "supporting"]),
                name="resource_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version_label})" if self.version_label else self.title

    def latest_version(self) -> "ResourceVersion":
        """The newest version, made (empty) if the resource has none yet."""
        version = self.versions.order_by("-number").first()
        return version or self.versions.create(number=1)


class ResourceVersion(models.Model):
    """One version of a draft: its sections and numbered paragraphs as imported (or typed in the admin).
    Every version is kept, so comments on an earlier one still point at the words they were about."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="versions", verbose_name=_("resource")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    source_name = models.CharField(_("imported from"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("resource version")
        verbose_name_plural = _("resource versions")
        ordering = ["resource", "number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="resource_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} v{self.number}"


class ResourceSection(models.Model):
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="sections", verbose_name=_("resource")
    )
    version = models.ForeignKey(
        ResourceVersion, on_delete=models.CASCADE, related_name="sections", verbose_name=_("version")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    # The number readers cite ("3.2"), from the heading hierarchy of the imported draft.
    number = models.CharField(_("number"), max_length=20, blank=True)
    level = models.PositiveSmallIntegerField(_("heading level"), default=1)
    heading = models.CharField(_("heading"), max_length=300)
    body = models.TextField(
        _("text"), blank=True, help_text=_("Used only for sections without numbered paragraphs.")
    )

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="section_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label}. {self.heading}" if self.heading else self.label

    def save(self, *args: object, **kwargs: object) -> None:
        # A section typed in the admin (or made without naming a version) belongs to the newest version.
        if self.version_id is None:
            self.version = self.resource.latest_version()
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return self.number or str(self.position)


class ResourceParagraph(models.Model):
    """A numbered paragraph of a section (a list item, a table row and a caption are paragraphs too), the
    smallest place a comment can point at besides a quoted passage inside it."""

    class Kind(models.TextChoices):
        PARAGRAPH = "paragraph", _("Paragraph")
        LIST_ITEM = "list_item", _("List item")
        TABLE_ROW = "table_row", _("Table row")
        CAPTION = "caption", _("Caption")
        QUOTE = "quote", _("Quotation")
        CODE = "code", _("Code")

    section = models.ForeignKey(
        ResourceSection, on_delete=models.CASCADE, related_name="paragraphs", verbose_name=_("section")
    )
    number = models.PositiveSmallIntegerField(_("paragraph number"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PARAGRAPH)
    level = models.PositiveSmallIntegerField(_("list level"), default=0)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("paragraph")
        verbose_name_plural = _("paragraphs")
        ordering = ["section", "number"]
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="paragraph_number_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["paragraph", "list_item", "table_row", "caption", "quote", "code"]),
                name="paragraph_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How readers cite it: "3.2 ¶4"."""
        return f"{self.section.label} ¶{self.number}"


class ConsultationResource(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="resource_links", verbose_name=_("consultation")
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="consultation_links", verbose_name=_("resource")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    version = models.ForeignKey(
        "ResourceVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version"),
        help_text=_("The version participants read and comment on; empty for the newest."),
    )
    # Set when the organisers publish their responses to the comments on this resource; each participant then
    # reads what became of their comments and may say whether a response satisfies them until the deadline.
    responses_published_at = models.DateTimeField(_("responses published at"), null=True, blank=True)
    responses_deadline = models.DateTimeField(_("feedback on responses closes at"), null=True, blank=True)

    class Meta:
        verbose_name = _("resource under consultation")
        verbose_name_plural = _("resources under consultation")
        ordering = ["consultation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "resource"], name="consultation_resource_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation} / {self.resource}"

    @property
    def has_published_responses(self) -> bool:
        return self.responses_published_at is not None

    def takes_satisfaction(self, now: datetime | None = None) -> bool:
        """Whether participants may still say if a response satisfies them."""
        if self.responses_published_at is None:
            return False
        return self.responses_deadline is None or (now or timezone.now()) < self.responses_deadline


class Question(models.Model):
    class Kind(models.TextChoices):
        LONG_TEXT = "long_text", _("Long text")
        SHORT_TEXT = "short_text", _("Short text")
        SCALE = "scale", _("Scale from 1 to 5")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        YES_NO = "yes_no", _("Yes / no / unsure")

    # The kinds answered in the participant's own words (quoted in reports, summarised by length).
    TEXT_KINDS = (Kind.LONG_TEXT, Kind.SHORT_TEXT)

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="questions", verbose_name=_("consultation")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("question"))
    help_text = models.TextField(_("help text"), blank=True)
    kind = models.CharField(_("answer kind"), max_length=20, choices=Kind.choices, default=Kind.LONG_TEXT)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("One choice per line, for single and multiple choice questions."),
    )
    scale_min_label = models.CharField(_("label of 1 on the scale"), max_length=100, blank=True)
    scale_max_label = models.CharField(_("label of 5 on the scale"), max_length=100, blank=True)
    is_required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(_("character limit"), default=5000)
    resource = models.ForeignKey(
        Resource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("about resource"),
    )

    class Meta:
        verbose_name = _("guiding question")
        verbose_name_plural = _("guiding questions")
        ordering = ["consultation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "number"], name="question_number_unique"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "long_text",
                        "short_text",
                        "scale",
                        "single_choice",
                        "multiple_choice",
                        "yes_no",
                    ]
                ),
                name="question_kind_valid",
            ),
            models.CheckConstraint(condition=Q(max_length__gt=0), name="question_max_length_positive"),
        ]

    def __str__(self) -> str:
        return f"Q{self.number}. {self.text[:80]}"

    def clean(self) -> None:
        if self.kind in (self.Kind.SINGLE_CHOICE, self.Kind.MULTIPLE_CHOICE) and len(self.choice_list()) < 2:
            raise ValidationError({"choices": _("Give at least two choices, one per line.")}, code="choices")
        wanted = len(self.choice_list())
        for code, _name in settings.LANGUAGES:
            translated = _lines(getattr(self, f"choices_{code}", None))
            if translated and len(translated) != wanted:
                raise ValidationError(
                    {
                        f"choices_{code}": _(
                            "Give the translated choices line for line: %(wanted)d lines, as in English."
                        )
                        % {"wanted": wanted}
                    },
                    code="choices",
                )

    def choice_list(self) -> list[str]:
        """The choices as stored in answers and exports: the English lines, whatever the reader's language."""
        return _lines(getattr(self, "choices_en", None) or self.choices)

    def option_labels(self) -> list[tuple[str, str]]:
        """(stored value, label in the reader's language) of each option a choice, yes/no or scale question
        offers, in order; [] for text questions. The form, the reports and the participant's pages share it."""
        if self.kind == self.Kind.SCALE:
            low = self.scale_min_label or "1"
            high = self.scale_max_label or "5"
            return [("1", f"1 – {low}"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", f"5 – {high}")]
        if self.kind == self.Kind.YES_NO:
            return list(YES_NO_OPTIONS)
        if self.kind in (self.Kind.SINGLE_CHOICE, self.Kind.MULTIPLE_CHOICE):
            return self.choice_options()
        return []

    def choice_options(self) -> list[tuple[str, str]]:
        """(stored value, label in the reader's language) per choice. A translation is used line for line
        only when it has as many lines as the English; otherwise the English labels are shown."""
        values = self.choice_list()
        labels = _lines(self.choices)
        if len(labels) != len(values):
            labels = values
        return list(zip(values, labels, strict=True))


# The options of a yes/no/unsure question: stored value, label.
YES_NO_OPTIONS = (("yes", _("Yes")), ("no", _("No")), ("unsure", _("Unsure")))


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ParticipantQuerySet(models.QuerySet):
    def by_token(self, token: str) -> "ParticipantQuerySet":
        """Participants whose invitation this raw token is, and still valid now."""
        now = timezone.now()
        return self.filter(token_hash=hash_token(token), is_revoked=False).filter(
            Q(invite_expires_at__isnull=True) | Q(invite_expires_at__gt=now)
        )

    def due_for_reminder(
        self, *, now: datetime, closing_within: timedelta, min_interval: timedelta
    ) -> "ParticipantQuerySet":
        """Invited, not revoked or expired, not submitted, not reminded lately, in an open consultation
        that closes within `closing_within`."""
        return (
            self.filter(
                consultation__is_published=True,
                consultation__opens_at__lte=now,
                consultation__closes_at__gt=now,
                consultation__closes_at__lte=now + closing_within,
                invited_at__isnull=False,
                is_revoked=False,
            )
            .filter(Q(invite_expires_at__isnull=True) | Q(invite_expires_at__gt=now))
            .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - min_interval))
            .exclude(response__status=Response.Status.SUBMITTED)
        )


class Participant(models.Model):
    class OrganisationType(models.TextChoices):
        PROVIDER_LE_ONLY = "provider_le_only", _("Technology provider (law enforcement clients only)")
        PROVIDER_MIXED = "provider_mixed", _("Technology provider (law enforcement among other clients)")
        LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement agency")
        INDUSTRY = "industry", _("Industry")
        ACADEMIA = "academia", _("Academia and research")
        JUDICIARY = "judiciary", _("Judiciary and prosecution")
        HUMAN_RIGHTS = "human_rights", _("Human rights and civil society")
        INTERNATIONAL = "international", _("International organisation")
        OTHER = "other", _("Other")

    class Attribution(models.TextChoices):
        NAMED = "named", _("Named: my name and organisation may be quoted")
        ORGANISATION = "organisation", _("Organisation only: quote my organisation, not my name")
        UNATTRIBUTED = (
            "unattributed",
            _("Unattributed (Chatham House rule): quote without naming me or my organisation"),
        )
        NOT_QUOTED = "not_quoted", _("Not to be quoted: use my input for analysis only")

    # The choices under which a participant's words may be quoted (Chatham House profile, reports).
    QUOTABLE = (Attribution.NAMED, Attribution.ORGANISATION, Attribution.UNATTRIBUTED)

    class InvitationState(models.TextChoices):
        # Derived from the invitation times and the response, never stored: no field uses these choices.
        NOT_SENT = "not_sent", _("Not sent")
        SENT = "sent", _("Sent")
        OPENED = "opened", _("Opened")
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="participants", verbose_name=_("consultation")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=200, blank=True)
    organisation_type = models.CharField(
        _("organisation type"), max_length=30, choices=OrganisationType.choices, blank=True
    )
    country = CountryField(_("country"), blank=True)
    conflict_of_interest = models.TextField(
        _("conflict of interest declaration"),
        blank=True,
        max_length=2000,
        help_text=_("Any interest that could be seen to affect your feedback, or leave blank if none."),
    )
    attribution = models.CharField(
        _("how you may be quoted"), max_length=20, choices=Attribution.choices, blank=True
    )
    consented_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    language = models.CharField(
        _("language of pages and emails"),
        max_length=12,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Set by the participant's language switcher; empty means their browser's language."),
    )
    answer_language = models.CharField(
        _("language of answers"),
        max_length=12,
        blank=True,
        help_text=_("The language the participant writes in; empty means the language of the pages."),
    )
    pseudonym = models.CharField(
        _("pseudonym"), max_length=12, unique=True, default=new_pseudonym, editable=False
    )
    token_hash = models.CharField(_("invite token hash"), max_length=64, blank=True, editable=False)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True, editable=False)
    invite_expires_at = models.DateTimeField(_("invite expires at"), null=True, blank=True)
    first_opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True, editable=False)
    is_revoked = models.BooleanField(_("revoked"), default=False)
    # An erased participant keeps their row (answers point at it with PROTECT) but nothing that names them.
    is_erased = models.BooleanField(_("erased"), default=False, editable=False)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["consultation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "email"], name="participant_email_unique"),
            # Mail servers treat addresses alike whatever their case: one invitee, one participant.
            models.UniqueConstraint(
                "consultation",
                Lower("email"),
                name="participant_email_unique_ignoring_case",
                violation_error_message=_(
                    "This consultation already has a participant with this email address."
                ),
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),  # nosec B106  # the invite's SHA-256, no password
                name="participant_token_hash_unique",
            ),
            models.CheckConstraint(
                condition=Q(attribution__in=["", "named", "organisation", "unattributed", "not_quoted"]),
                name="participant_attribution_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name

    def clean(self) -> None:
        self.name = without_unsafe_characters(self.name)
        self.organisation = without_unsafe_characters(self.organisation)

    @property
    def has_confirmed_profile(self) -> bool:
        return self.consented_at is not None and bool(self.attribution)

    def issue_token(self) -> str:
        """Set a fresh invitation token and return it; only its hash is kept, so the caller must send it now."""
        token = secrets.token_urlsafe(32)  # 256 bits
        self.token_hash = hash_token(token)
        self.invited_at = timezone.now()
        return token

    def invite_has_expired(self, now: datetime | None = None) -> bool:
        return self.invite_expires_at is not None and self.invite_expires_at <= (now or timezone.now())

    def invitation_state(self) -> "Participant.InvitationState":
        """How far the participant got, from the invitation times and their response (select_related it)."""
        # A missing one-to-one raises an exception that is also an AttributeError, so getattr can default it.
        response = getattr(self, "response", None)
        if response is not None and response.status == Response.Status.SUBMITTED:
            return self.InvitationState.SUBMITTED
        if response is not None and response.last_edited_at is not None:
            return self.InvitationState.DRAFT
        if self.first_opened_at is not None or response is not None:
            return self.InvitationState.OPENED
        if self.invited_at is not None:
            return self.InvitationState.SENT
        return self.InvitationState.NOT_SENT


class Response(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="response", verbose_name=_("participant")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    last_edited_at = models.DateTimeField(_("last edited at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-last_edited_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]), name="response_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="response_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return str(self.participant)

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


# The fields a redaction sets, all cleared together.
REDACTION_FIELDS = ("redacted_text", "redaction_reason", "redacted_by", "redacted_at")


class Moderated(models.Model):
    """What answers and comments share: moderation, redaction and coding by the organising team."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        HIDDEN = "hidden", _("Hidden")
        FLAGGED = "flagged", _("Flagged")

    status = models.CharField(
        _("moderation status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    moderator_note = models.TextField(_("moderator note"), blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    # The participant's own words stay in `text`; a redaction is a second text shown and exported instead.
    redacted_text = models.TextField(
        _("redacted text"),
        blank=True,
        help_text=_("What is shown and exported instead of the original; empty when nothing is redacted."),
    )
    redaction_reason = models.TextField(_("reason for redaction"), blank=True)
    redacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("redacted by"),
    )
    redacted_at = models.DateTimeField(_("redacted at"), null=True, blank=True)
    themes = models.ManyToManyField("Theme", blank=True, related_name="%(class)ss", verbose_name=_("themes"))
    # Participants write in any language; this is the one they said they write in (or the page's), as a code.
    language = models.CharField(_("language"), max_length=12, blank=True)

    # The fields a redaction of this kind of item sets (a comment adds its proposed change).
    redaction_fields: tuple[str, ...] = REDACTION_FIELDS

    class Meta:
        abstract = True

    @property
    def is_redacted(self) -> bool:
        return bool(self.redacted_text)

    def redact_passage(self, passage: str, marker: str) -> bool:
        """Put `marker` for every occurrence of `passage` in what the item shows; False (and nothing changed)
        when the passage does not occur there."""
        shown = self.shown_value()
        if passage not in shown:
            return False
        self.redacted_text = shown.replace(passage, marker)
        return True

    def back_to_pending(self) -> list[str]:
        """An edited answer or comment goes back to the moderation queue as if nobody had moderated it, and a
        redaction of words that are gone is dropped (the moderator redacts the new text if need be). Returns the
        fields it changed, for `save(update_fields=...)`."""
        self.status = self.Status.PENDING
        self.moderated_by, self.moderated_at = None, None
        self.drop_redaction()
        return ["status", "moderated_by", "moderated_at", *self.redaction_fields]

    def drop_redaction(self) -> None:
        self.redacted_text, self.redaction_reason = "", ""
        self.redacted_by, self.redacted_at = None, None

    def shown_value(self) -> str:
        """What anyone but the audit trail sees: the redacted text when there is one, else the answer."""
        return self.redacted_text or self.display_value()


class AnswerQuerySet(models.QuerySet):
    def pending(self) -> "AnswerQuerySet":
        return self.filter(status=Answer.Status.PENDING)

    def submitted(self) -> "AnswerQuerySet":
        return self.filter(response__status=Response.Status.SUBMITTED)

    def non_empty(self) -> "AnswerQuerySet":
        return self.filter(NOT_BLANK_ANSWER)

    def counted(self) -> "AnswerQuerySet":
        """What counts as an answer wherever answers are counted or quoted: non-empty, of a submitted response,
        not hidden by a moderator, not of an erased participant."""
        return (
            self.submitted()
            .non_empty()
            .exclude(status=Answer.Status.HIDDEN)
            .exclude(response__participant__is_erased=True)
        )

    def for_export(self) -> "AnswerQuerySet":
        return self.select_related("question__resource", "response__participant__consultation").order_by(
            "response__participant__consultation_id", "response__participant_id", "question__number"
        )


class Answer(Moderated):
    response = models.ForeignKey(
        Response, on_delete=models.PROTECT, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    text = models.TextField(_("answer"), blank=True)
    selected = models.JSONField(_("selected choices"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question__number"]
        indexes = [models.Index(fields=["status", "id"], name="answer_queue_idx")]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique_per_question"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "hidden", "flagged"]),
                name="answer_status_valid",
            ),
        ]

    def __str__(self) -> str:
        # shown_value: a redacted passage must not come back through lists, labels or the audit trail.
        return f"Q{self.question.number}: {self.shown_value()[:60]}"

    def display_value(self) -> str:
        """The answer as one line of text: the written text, or the chosen options joined (as stored: English)."""
        if self.selected:
            return "; ".join(str(choice) for choice in self.selected)
        return self.text

    def reader_value(self) -> str:
        """display_value for the participant's own pages and mails: chosen options in the reader's language."""
        if not self.selected:
            return self.text
        question = self.question
        # A scale answer reads as its number; the other options as their labels.
        labels = {} if question.kind == Question.Kind.SCALE else dict(question.option_labels())
        return "; ".join(str(labels.get(choice, choice)) for choice in self.selected)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.selected


COMMENT_MAX_LENGTH = 5000
SATISFACTION_NOTE_MAX_LENGTH = 2000
QUOTE_MAX_LENGTH = 2000

# Matches text with a character that is not whitespace as Python's str.isspace() sees it, which is what is_empty
# uses. Not \S: PostgreSQL's \s follows the server's locale (U+00A0 is not a space in glibc's), so text of only
# no-break spaces was empty on SQLite and in Python but not in PostgreSQL's exports and counts. Escapes that
# Python's re and PostgreSQL's regular expressions read alike.
NOT_BLANK_RE = r"[^\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# What counts as a non-empty answer: text or a choice. A regex rather than a blank comparison, so whitespace-only
# text counts as empty as in Answer.is_empty. The regex reads the whole text (PostgreSQL converts all of it before
# matching), so the first character is tried first: it decides for almost every answer and the result is the same.
NOT_BLANK_ANSWER = Q(Regex(Left("text", 1), NOT_BLANK_RE)) | Q(text__regex=NOT_BLANK_RE) | ~Q(selected=[])


class CommentQuerySet(models.QuerySet):
    def pending(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.PENDING)

    def submitted(self) -> "CommentQuerySet":
        return self.filter(response__status=Response.Status.SUBMITTED)

    def non_empty(self) -> "CommentQuerySet":
        # A regex rather than a blank comparison, so whitespace-only text counts as empty as in Comment.is_empty.
        return self.filter(text__regex=NOT_BLANK_RE)

    def counted(self) -> "CommentQuerySet":
        """What counts as a comment wherever comments are counted or quoted (as for answers)."""
        return (
            self.submitted()
            .non_empty()
            .exclude(status=Comment.Status.HIDDEN)
            .exclude(response__participant__is_erased=True)
        )

    def in_reading_order(self) -> "CommentQuerySet":
        """Grouped by resource, whole-resource comments first, then by section and paragraph, oldest first."""
        return self.order_by(
            "resource__title",
            "resource_id",
            models.F("section__position").asc(nulls_first=True),
            models.F("paragraph__number").asc(nulls_first=True),
            "id",
        )

    def for_export(self) -> "CommentQuerySet":
        return self.select_related("resource", "section", "response__participant__consultation").order_by(
            "response__participant__consultation_id",
            "response__participant_id",
            # English, the language every resource has: the order must not change with the reader's language.
            "resource__title_en",
            "resource_id",
            models.F("section__position").asc(nulls_first=True),
            models.F("paragraph__number").asc(nulls_first=True),
            "id",
        )


class Comment(Moderated):
    """A participant's comment on a draft resource: on the whole of it, a section, a paragraph or a quoted
    passage of one version, typed as in the ISO/IEC commenting template, with an optional proposed change.
    A participant may make several at the same place."""

    class Kind(models.TextChoices):
        # The ISO/IEC template's ge / te / ed.
        GENERAL = "general", _("General")
        TECHNICAL = "technical", _("Technical")
        EDITORIAL = "editorial", _("Editorial")

    class Disposition(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted")
        NOT_ACCEPTED = "not_accepted", _("Not accepted")
        NOTED = "noted", _("Noted")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        NOT_SATISFIED = "not_satisfied", _("Not satisfied")

    response = models.ForeignKey(
        Response, on_delete=models.PROTECT, related_name="comments", verbose_name=_("response")
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="comments", verbose_name=_("resource")
    )
    section = models.ForeignKey(
        ResourceSection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("section"),
        help_text=_("Empty when the comment is on the whole resource."),
    )
    version = models.ForeignKey(
        ResourceVersion, on_delete=models.PROTECT, related_name="comments", verbose_name=_("version")
    )
    paragraph = models.ForeignKey(
        ResourceParagraph,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("paragraph"),
        help_text=_("Empty when the comment is on a whole section or the whole resource."),
    )
    # The exact words the comment is about, with some text before and after, so that it can be found again in
    # a later version of the draft; `quote_start` is where the quote begins in the paragraph's text.
    quote = models.TextField(_("quoted passage"), blank=True, max_length=QUOTE_MAX_LENGTH)
    quote_prefix = models.CharField(_("text before the passage"), max_length=64, blank=True)
    quote_suffix = models.CharField(_("text after the passage"), max_length=64, blank=True)
    quote_start = models.PositiveIntegerField(_("passage offset"), null=True, blank=True)
    kind = models.CharField(_("type of comment"), max_length=10, choices=Kind.choices, default=Kind.GENERAL)
    # The new-comment form's own random key: an autosave and the form's post of the same new comment (which can
    # cross on a slow connection) make one comment, not two.
    draft_key = models.CharField(_("form key"), max_length=40, blank=True, editable=False)
    text = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    proposed_change = models.TextField(_("proposed change"), blank=True, max_length=COMMENT_MAX_LENGTH)
    # A redaction covers the proposed change as well as the comment. Not the quoted passage: those are the
    # draft's own words, which the organisers published, not the participant's.
    redacted_proposed_change = models.TextField(
        _("redacted proposed change"),
        blank=True,
        help_text=_(
            "What is shown and exported instead of the proposed change; empty when nothing is redacted."
        ),
    )
    redaction_fields = (*REDACTION_FIELDS, "redacted_proposed_change")
    disposition = models.CharField(_("disposition"), max_length=20, choices=Disposition.choices, blank=True)
    organiser_reply = models.TextField(_("organisers' reply"), blank=True)
    # The paragraphs of a later version of the resource that address the comment, each with its redline
    # (organising/responses.py links them, checking they are of a later version of the same resource).
    addressed_in = models.ManyToManyField(
        ResourceParagraph,
        through="CommentChange",
        blank=True,
        related_name="addressing_comments",
        verbose_name=_("addressed in"),
    )
    # The participant's word on the organisers' response, once the responses are published.
    satisfaction = models.CharField(
        _("participant's view of the response"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    satisfaction_note = models.TextField(
        _("participant's note on the response"), blank=True, max_length=SATISFACTION_NOTE_MAX_LENGTH
    )
    satisfaction_at = models.DateTimeField(_("view of the response given at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["resource__title", "section__position", "paragraph__number", "id"]
        indexes = [models.Index(fields=["status", "id"], name="comment_queue_idx")]
        # Recording what was done with a comment speaks for the organisers, so it is a right of its own.
        permissions = [("dispose_comment", _("Can record the disposition of a comment and reply"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["general", "technical", "editorial"]), name="comment_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["response", "draft_key"], condition=~Q(draft_key=""), name="comment_draft_key_unique"
            ),
            # A paragraph is in a section, and a quoted passage is in a paragraph.
            models.CheckConstraint(
                condition=Q(paragraph__isnull=True) | Q(section__isnull=False),
                name="comment_paragraph_in_section",
            ),
            models.CheckConstraint(
                condition=Q(quote="") | Q(paragraph__isnull=False), name="comment_quote_in_paragraph"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "hidden", "flagged"]),
                name="comment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(disposition__in=["", "accepted", "partly_accepted", "not_accepted", "noted"]),
                name="comment_disposition_valid",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__in=["", "satisfied", "not_satisfied"]),
                name="comment_satisfaction_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}/{self.section_id or '-'}: {self.shown_value()[:60]}"

    def save(self, *args: object, **kwargs: object) -> None:
        # A comment is on the version its section belongs to, else on the resource's newest.
        if self.version_id is None:
            self.version = self.section.version if self.section_id else self.resource.latest_version()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.section_id is not None and self.section.resource_id != self.resource_id:
            raise ValidationError(
                {"section": _("The section belongs to another resource.")}, code="section_resource"
            )
        if self.paragraph_id is not None and self.paragraph.section_id != self.section_id:
            raise ValidationError(
                {"paragraph": _("The paragraph belongs to another section.")}, code="paragraph_section"
            )

    def display_value(self) -> str:
        return self.text

    def shown_proposed_change(self) -> str:
        """The proposed change as anyone but the audit trail and its author sees it: with its redactions."""
        return self.redacted_proposed_change or self.proposed_change

    def redact_passage(self, passage: str, marker: str) -> bool:
        """As for any item, in the comment and in its proposed change: wherever the passage occurs."""
        shown_change = self.shown_proposed_change()
        in_text = super().redact_passage(passage, marker)
        if passage not in shown_change:
            return in_text
        # The comment's text is marked redacted too (unchanged where the passage is not in it), so `is_redacted`
        # and the exports' `redacted` column say so.
        self.redacted_text = self.shown_value()
        self.redacted_proposed_change = shown_change.replace(passage, marker)
        return True

    def drop_redaction(self) -> None:
        super().drop_redaction()
        self.redacted_proposed_change = ""

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()

    @property
    def place(self) -> str:
        """Where the comment points, for lists: "3.2 ¶4", the section, or the whole resource."""
        if self.section_id is None:
            return str(_("Whole resource"))
        if self.paragraph_id is not None:
            return self.paragraph.label
        return str(self.section)


class CommentPlacement(models.Model):
    """Where a comment on an earlier version of a draft landed in a later one, found again when that version was
    imported (organising/anchoring.py). The comment's own anchor never changes: it stays on the words it was
    about; this says where those words are now, or that they are gone (orphaned)."""

    class Status(models.TextChoices):
        EXACT = "exact", _("Found exactly")
        APPROXIMATE = "approximate", _("Found approximately")
        ORPHANED = "orphaned", _("Not found (orphaned)")

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="placements", verbose_name=_("comment")
    )
    version = models.ForeignKey(
        ResourceVersion, on_delete=models.CASCADE, related_name="placements", verbose_name=_("version")
    )
    section = models.ForeignKey(
        ResourceSection,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("section"),
    )
    paragraph = models.ForeignKey(
        ResourceParagraph,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="placements",
        verbose_name=_("paragraph"),
    )
    status = models.CharField(_("found"), max_length=12, choices=Status.choices)
    # How sure an approximate placement is, from 0 to 1; 1 for exact, 0 for orphaned.
    score = models.FloatField(_("likeness"), default=0.0)
    start = models.PositiveIntegerField(_("passage starts at"), null=True, blank=True)
    end = models.PositiveIntegerField(_("passage ends at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment placement")
        verbose_name_plural = _("comment placements")
        ordering = ["version", "comment"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "version"], name="placement_unique_per_version"),
            models.CheckConstraint(
                condition=Q(status__in=["exact", "approximate", "orphaned"]), name="placement_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="orphaned") | Q(section__isnull=True, paragraph__isnull=True),
                name="placement_orphan_has_no_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id} in v{self.version_id}: {self.status}"

    @property
    def label(self) -> str:
        """Where the comment is in the later version: "3.2 ¶4", the section, or nothing when orphaned."""
        if self.paragraph_id is not None:
            return self.paragraph.label
        if self.section_id is not None:
            return str(self.section)
        return ""


class CommentChange(models.Model):
    """A paragraph of a later version that addresses a comment, with the redline from the version commented on
    to it as the organiser saw it when linking: ops of ("equal" | "delete" | "insert", text)."""

    class Kind(models.TextChoices):
        ADDED = "added", _("Added")
        CHANGED = "changed", _("Changed")
        MOVED = "moved", _("Moved")
        SAME = "same", _("Unchanged")

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="changes", verbose_name=_("comment")
    )
    paragraph = models.ForeignKey(
        ResourceParagraph, on_delete=models.CASCADE, related_name="+", verbose_name=_("paragraph")
    )
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    redline = models.JSONField(_("redline"), default=list, blank=True)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )

    class Meta:
        verbose_name = _("change addressing a comment")
        verbose_name_plural = _("changes addressing comments")
        ordering = [
            "comment",
            "paragraph__section__version__number",
            "paragraph__section__position",
            "paragraph__number",
        ]
        constraints = [
            models.UniqueConstraint(fields=["comment", "paragraph"], name="comment_change_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["added", "changed", "moved", "same"]), name="comment_change_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """ "v2, 3.2 ¶4" (select_related paragraph__section__version)."""
        return f"v{self.paragraph.section.version.number}, {self.paragraph.label}"

    def redline_text(self) -> str:
        """The redline as plain text for sheets and CSV: [-deleted-] and {+inserted+}."""
        if not self.redline:
            return self.paragraph.text
        marks = {"delete": "[-{}-]", "insert": "{{+{}+}}", "equal": "{}"}
        return "".join(marks.get(op, "{}").format(text) for op, text in self.redline)


class Revision(models.Model):
    """What an answer or comment said before the participant changed it after submitting, and when: for a
    comment its type and proposed change as well as its text."""

    answer = models.ForeignKey(
        Answer, on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    previous_text = models.TextField(_("previous text"), blank=True)
    previous_selected = models.JSONField(_("previous selected choices"), default=list, blank=True)
    # Comments only; empty for answers, and for revisions recorded before these were kept.
    previous_kind = models.CharField(
        _("previous type of comment"), max_length=10, choices=Comment.Kind.choices, blank=True
    )
    previous_proposed_change = models.TextField(_("previous proposed change"), blank=True)
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-edited_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answer__isnull=False, comment__isnull=True)
                | Q(answer__isnull=True, comment__isnull=False),
                name="revision_exactly_one_item",
            ),
        ]

    def __str__(self) -> str:
        item = f"answer {self.answer_id}" if self.answer_id else f"comment {self.comment_id}"
        return f"{item} at {self.edited_at:%Y-%m-%d %H:%M}"


class Codebook(models.Model):
    """A set of themes to code answers and comments with, shared by the consultations of a series."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("theme code book")
        verbose_name_plural = _("theme code books")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Theme(models.Model):
    codebook = models.ForeignKey(
        Codebook, on_delete=models.CASCADE, related_name="themes", verbose_name=_("code book")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("broader theme"),
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("Short and sortable, e.g. 2.3."))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["codebook", "code"]
        constraints = [
            models.UniqueConstraint(fields=["codebook", "code"], name="theme_code_unique"),
            # Per language, as for resource titles above.
            *(
                models.UniqueConstraint(fields=["codebook", f"name_{code}"], name=f"theme_name_unique-{code}")
                for code, _name in settings.LANGUAGES
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AuditEvent(models.Model):
    """One organiser action that read participant data in bulk or changed it: who, when, what, before/after."""

    class Action(models.TextChoices):
        MODERATE = "moderate", _("Moderation")
        REDACT = "redact", _("Redaction")
        TAG = "tag", _("Theme tagging")
        DISPOSE = "dispose", _("Disposition")
        INVITE = "invite", _("Invitation")
        IMPORT = "import", _("Import of invitees")
        REVOKE = "revoke", _("Revocation")
        REMIND = "remind", _("Reminder")
        EXPORT = "export", _("Export")
        CHANGE = "change", _("Change")
        DUPLICATE = "duplicate", _("Duplication")
        PERMISSION = "permission", _("Permission change")
        ERASE = "erase", _("Erasure")
        DRAFT = "draft", _("Draft import")
        COMMENTS = "comments", _("Comments entered for a participant")
        MEETING = "meeting", _("Meeting console")
        ATTENDANCE = "attendance", _("Attendance")
        LINK = "link", _("Disposition linked to a change")
        RESPONSES = "responses", _("Responses published")
        SATISFACTION = "satisfaction", _("Participant's view of a response")

    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Kept as text too, so the trail still names the person after their account is deleted.
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    consultation = models.ForeignKey(
        Consultation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultation"),
    )
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    count = models.PositiveIntegerField(_("items"), default=1)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at"], name="audit_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"


# The meeting


class AgendaItem(models.Model):
    """One item of the meeting's run of show, in order, with the time planned for it and, for the group
    discussion, the guiding question it frames."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("consultation")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=300)
    planned_minutes = models.PositiveSmallIntegerField(_("planned minutes"), default=10)
    question = models.ForeignKey(
        Question,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("guiding question"),
    )
    notes = models.TextField(
        _("private notes for the moderator"),
        blank=True,
        help_text=_("Shown on the moderator console only, never to participants."),
    )
    # Run time, written by the console: seconds spent on the item before it last became current, and the
    # minutes the moderator added with "extend". A new start sets both back to zero.
    elapsed_seconds = models.PositiveIntegerField(_("seconds spent"), default=0, editable=False)
    extra_minutes = models.PositiveSmallIntegerField(_("minutes added"), default=0, editable=False)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["consultation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "position"], name="agenda_item_position_unique"),
            models.CheckConstraint(condition=Q(planned_minutes__gt=0), name="agenda_item_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def clean(self) -> None:
        if self.question_id is not None and self.question.consultation_id != self.consultation_id:
            raise ValidationError(
                {"question": _("The question belongs to another consultation.")}, code="question_consultation"
            )


class MeetingState(models.Model):
    """Where the meeting is: the moderator console's "now" pointer, one row per consultation."""

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="meeting_state", verbose_name=_("consultation")
    )
    current_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current agenda item"),
    )
    item_started_at = models.DateTimeField(_("current item started at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    is_rehearsal = models.BooleanField(_("rehearsal"), default=False)
    # Rises with every change participants would see: the poll's ETag.
    version = models.PositiveIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("meeting state")
        verbose_name_plural = _("meeting states")
        permissions = [
            ("run_meeting", _("Can run the meeting console")),
            ("keep_rehearsal", _("Can keep a rehearsal's input in the record")),
        ]

    def __str__(self) -> str:
        return str(self.consultation)

    @property
    def is_live(self) -> bool:
        return self.started_at is not None and self.ended_at is None


class Attendance(models.Model):
    """A participant at the meeting: seen on the live page, or ticked by an organiser."""

    class Source(models.TextChoices):
        AUTO = "auto", _("Automatic (meeting page open)")
        MANUAL = "manual", _("Marked by an organiser")

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("participant")
    )
    is_rehearsal = models.BooleanField(_("rehearsal"), default=False)
    first_seen_at = models.DateTimeField(_("first seen at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.AUTO)
    is_present = models.BooleanField(_("present"), default=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["participant"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "is_rehearsal"], name="attendance_unique"),
            models.CheckConstraint(
                condition=Q(source__in=["auto", "manual"]), name="attendance_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}: {'present' if self.is_present else 'absent'}"


LIVE_POINT_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 2000


class MeetingInputQuerySet(models.QuerySet):
    """What live points and rapporteur notes share: the record leaves rehearsals out until they are kept."""

    def pending(self) -> "MeetingInputQuerySet":
        return self.filter(status=Moderated.Status.PENDING)

    def in_record(self) -> "MeetingInputQuerySet":
        return self.filter(is_rehearsal=False).filter(text__regex=NOT_BLANK_RE)

    def counted(self) -> "MeetingInputQuerySet":
        """What counts wherever the record is counted or quoted, as for answers: not hidden, and nothing of an
        erased participant (a note naming nobody stays)."""
        return self.in_record().exclude(status=Moderated.Status.HIDDEN).exclude(participant__is_erased=True)


class LivePoint(Moderated):
    """A participant's short written point under an agenda item, typed during the meeting (item_type "live"):
    one per participant and item, saved as they type, quoted under their own quotation choice."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="live_points", verbose_name=_("participant")
    )
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, related_name="live_points", verbose_name=_("agenda item")
    )
    text = models.TextField(_("point"), blank=True, max_length=LIVE_POINT_MAX_LENGTH)
    is_rehearsal = models.BooleanField(_("rehearsal"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeetingInputQuerySet.as_manager()

    class Meta:
        verbose_name = _("live point")
        verbose_name_plural = _("live points")
        ordering = ["agenda_item", "id"]
        indexes = [models.Index(fields=["status", "id"], name="livepoint_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "agenda_item", "is_rehearsal"], name="live_point_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "hidden", "flagged"]),
                name="live_point_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agenda_item_id}: {self.shown_value()[:60]}"

    def display_value(self) -> str:
        return self.text

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()


class RapporteurNote(Moderated):
    """A point a rapporteur wrote down as it was said (item_type "spoken"), attributed to a participant (then
    quoted under that participant's choice), to nobody, or to the organisers. Each note is its own row, so
    several rapporteurs write at once without overwriting each other."""

    class Kind(models.TextChoices):
        POINT = "point", _("Point made")
        PROPOSAL = "proposal", _("Proposal for the Toolkit")
        DISAGREEMENT = "disagreement", _("Disagreement")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class Speaker(models.TextChoices):
        PARTICIPANT = "participant", _("A participant")
        UNATTRIBUTED = "unattributed", _("Unattributed")
        ORGANISERS = "organisers", _("The organisers")

    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, related_name="spoken_notes", verbose_name=_("agenda item")
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices, default=Kind.POINT)
    speaker = models.CharField(
        _("attributed to"), max_length=15, choices=Speaker.choices, default=Speaker.UNATTRIBUTED
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="spoken_notes",
        verbose_name=_("participant"),
    )
    text = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rapporteur"),
    )
    is_rehearsal = models.BooleanField(_("rehearsal"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeetingInputQuerySet.as_manager()

    class Meta:
        verbose_name = _("rapporteur note")
        verbose_name_plural = _("rapporteur notes")
        ordering = ["agenda_item", "id"]
        indexes = [models.Index(fields=["status", "id"], name="rapporteurnote_queue_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(speaker="participant", participant__isnull=False)
                | Q(~Q(speaker="participant"), participant__isnull=True),
                name="rapporteur_note_speaker_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["point", "proposal", "disagreement", "follow_up"]),
                name="rapporteur_note_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "hidden", "flagged"]),
                name="rapporteur_note_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agenda_item_id}: {self.shown_value()[:60]}"

    def display_value(self) -> str:
        return self.text


class QuestionSummary(models.Model):
    """The organisers' summary of what was written and said on a guiding question: heads the question in the
    insights report."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="summary", verbose_name=_("guiding question")
    )
    text = models.TextField(_("summary"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("question summary")
        verbose_name_plural = _("question summaries")

    def __str__(self) -> str:
        return f"Q{self.question_id}: {self.text[:60]}"


def touch_consultations(consultation_ids: Iterable[int | None]) -> None:
    """Raise the content version of these consultations: what their participant pages read has changed. Called for
    every save and delete of the rows those pages keep per process (the receivers below); code that writes them
    with QuerySet.update() or bulk_create(), which send no signal, calls it itself."""
    ids = {pk for pk in consultation_ids if pk is not None}
    if ids:
        _raise_content_version(pk__in=ids)


def touch_resource_consultations(resource_ids: Iterable[int | None]) -> None:
    """Raise the content version of every consultation using these resources: the text of a draft (its sections
    and paragraphs), which the resource page keeps per process (participation/document.py), has changed."""
    ids = {pk for pk in resource_ids if pk is not None}
    if ids:
        _raise_content_version(resource_links__resource_id__in=ids)


def _raise_content_version(**consultations: object) -> None:
    Consultation.objects.filter(**consultations).update(content_version=F("content_version") + 1)


def _touch_its_consultation(sender: type[models.Model], instance: models.Model, **kwargs: object) -> None:
    touch_consultations([instance.consultation_id])


def _touch_its_resource(sender: type[models.Model], instance: models.Model, **kwargs: object) -> None:
    if isinstance(instance, Resource):
        touch_resource_consultations([instance.pk])
    elif isinstance(instance, (ResourceVersion, ResourceSection)):
        touch_resource_consultations([instance.resource_id])
    else:
        # One query, without reading the paragraph's section first.
        _raise_content_version(resource_links__resource__sections=instance.section_id)


for _model in (Question, ConsultationResource):
    post_save.connect(
        _touch_its_consultation, sender=_model, dispatch_uid=f"content_version_{_model.__name__}"
    )
    post_delete.connect(
        _touch_its_consultation, sender=_model, dispatch_uid=f"content_version_{_model.__name__}"
    )

# A resource (its title, summary, file) and its versions (a new one is the newest, which participants read
# unless the consultation chose one): on save and delete.
for _model in (Resource, ResourceVersion):
    post_save.connect(_touch_its_resource, sender=_model, dispatch_uid=f"content_version_{_model.__name__}")
    post_delete.connect(_touch_its_resource, sender=_model, dispatch_uid=f"content_version_{_model.__name__}")
# Sections and paragraphs, saved one at a time (the admin's section inline, the demo's seed). Not on delete: a
# delete signal would make every cascade fetch the paragraphs it removes, one by one. What deletes or writes
# them in bulk (a draft imported again, the admin's inline) calls touch_resource_consultations itself.
for _model in (ResourceSection, ResourceParagraph):
    post_save.connect(_touch_its_resource, sender=_model, dispatch_uid=f"content_version_{_model.__name__}")
