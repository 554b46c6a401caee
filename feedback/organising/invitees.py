"""TODO docstring."""

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from feedback.models import Consultation, Participant, without_unsafe_characters

MAX_BYTES = 1024 * 1024


MAX_ROWS = 5000


COLUMNS = ["name", "email", "organisation", "organisation_type", "country", "language"]


REQUIRED_COLUMNS = ["name", "email"]


NAME_MAX = Participant._meta.get_field("name").max_length


EMAIL_MAX = Participant._meta.get_field("email").max_length


ORGANISATION_MAX = Participant._meta.get_field("organisation").max_length


@dataclass
class Invitee:
    """A row that can be added; `organisation_type` and `country` hold codes."""

    line: int
    name: str
    email: str
    organisation: str = ""
    organisation_type: str = ""
    country: str = ""
    language: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def participant_fields(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in COLUMNS}

    def get_organisation_type_display(self) -> str:
        if not self.organisation_type:
            return ""
        return Participant.OrganisationType(self.organisation_type).label

    def get_country_display(self) -> str:
        return countries.name(self.country) if self.country else ""

    def get_language_display(self) -> str:
        return dict(settings.LANGUAGES).get(self.language, "")


@dataclass
class RefusedRow:
    line: int
    values: dict[str, str]
    reasons: list[str] = field(default_factory=list)


def _header_key(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def read_rows(file: IO[bytes]) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as (line number, values by column), or a ValidationError for the whole file."""
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 1 MB."), code="file_too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."), code="encoding"
        ) from None
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to European locales save with semicolons; the header row tells which it is.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_header_key(cell) for cell in next(reader, [])]
    if not any(header):
        raise ValidationError(_("The file is empty."), code="empty")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ValidationError(
            _("The first row must name the columns; missing: %(columns)s. Expected: %(expected)s."),
            code="header",
            params={"columns": ", ".join(missing), "expected": ", ".join(COLUMNS)},
        )
    rows = []
    previous_end = reader.line_num
    try:
        for cells in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ValidationError(
                    _("The file has more than %(max)d rows; split it into smaller files."),
                    code="too_many_rows",
                    params={"max": MAX_ROWS},
                )
            values = dict.fromkeys(COLUMNS, "")
            for column, cell in zip(header, cells, strict=False):
                if column in values:
                    values[column] = cell.strip()
            rows.append((line, values))
    except csv.Error as error:
        raise ValidationError(
            _("The file is not valid CSV near line %(line)d: %(error)s"),
            code="csv",
            params={"line": reader.line_num, "error": error},
        ) from None
    return rows


def _organisation_types() -> dict[str, str]:
    """Lower-cased codes and English labels, each mapped to its code."""
    lookup = {}
    with translation.override("en"):
        for code, label in Participant.OrganisationType.choices:
            lookup[code.lower()] = code
            lookup[str(label).lower()] = code
    return lookup


def _country_code(value: str) -> str:
    if len(value) == 2 and countries.alpha2(value):
        return countries.alpha2(value)
    return countries.by_name(value, language="en")


def _language_code(value: str) -> str:
    """en, fr, es or ar from a code ("fr", "fr-CH") or a name in English or in the language itself."""
    names = {code: code for code, _name in settings.LANGUAGES}
    for code, name in settings.LANGUAGES:
        names[name.casefold()] = code
        names[get_language_info(code)["name"].casefold()] = code
    key = value.strip().casefold()
    return names.get(key) or names.get(key.split("-")[0].split("_")[0], "")


def validate_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]], consultation: Consultation
) -> tuple[list[Invitee], list[RefusedRow]]:
    """Split rows into those that can be added to the consultation now and those refused, with reasons."""
    invited = {email.lower() for email in consultation.participants.values_list("email", flat=True)}
    organisation_types = _organisation_types()
    first_line_of: dict[str, int] = {}
    good, bad = [], []
    for line, raw in rows:
        values = {column: str(raw.get(column, "")).strip() for column in COLUMNS}
        values["name"] = without_unsafe_characters(values["name"]).strip()
        values["organisation"] = without_unsafe_characters(values["organisation"]).strip()
        reasons = []
        if not values["name"]:
            reasons.append(_("Missing name."))
        elif len(values["name"]) > NAME_MAX:
            reasons.append(_("Name longer than %(max)d characters.") % {"max": NAME_MAX})
        email = values["email"]
        try:
            if len(email) > EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            reasons.append(_("Invalid email address.") if email else _("Missing email address."))
        else:
            key = email.lower()
            if key in first_line_of:
                reasons.append(_("Duplicate email: also on line %(line)d.") % {"line": first_line_of[key]})
            elif key in invited:
                reasons.append(_("Already invited to this consultation."))
            else:
                first_line_of[key] = line
        if len(values["organisation"]) > ORGANISATION_MAX:
            reasons.append(_("Organisation longer than %(max)d characters.") % {"max": ORGANISATION_MAX})
        organisation_type = ""
        if values["organisation_type"]:
            organisation_type = organisation_types.get(values["organisation_type"].lower(), "")
            if not organisation_type:
                reasons.append(_("Unknown organisation type."))
        country = ""
        if values["country"]:
            country = _country_code(values["country"])
            if not country:
                reasons.append(_("Unknown country."))
        language = ""
        if values["language"]:
            language = _language_code(values["language"])
            if not language:
                reasons.append(_("Unknown language: use en, fr, es or ar."))
        if reasons:
            bad.append(RefusedRow(line=line, values=values, reasons=[str(reason) for reason in reasons]))
            continue
        good.append(
            Invitee(
                line=line,
                name=values["name"],
                email=email,
                organisation=values["organisation"],
                organisation_type=organisation_type,
                country=country,
                language=language,
            )
        )
    return good, bad


def parse_invitees(file: IO[bytes], consultation: Consultation) -> tuple[list[Invitee], list[RefusedRow]]:
    """Read an uploaded CSV file of invitees; a problem with the whole file raises ValidationError."""
    return validate_rows(read_rows(file), consultation)


def rows_from_payload(rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, dict[str, str]]]:
    """Rows carried from the preview to the confirmation, ready to validate again."""
    return [(int(row["line"]), {column: str(row.get(column, "")) for column in COLUMNS}) for row in rows]
