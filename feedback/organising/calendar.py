"""The meeting as an iCalendar entry (RFC 5545): in the meeting's own time zone with its VTIMEZONE, one UID
for the consultation's life and a SEQUENCE that rises when the times change, so calendars update the entry."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from feedback.models import Consultation

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


def has_meeting(consultation: Consultation) -> bool:
    return consultation.meeting_starts_at is not None


def meeting_ics(consultation: Consultation) -> bytes:
    """The calendar file of the consultation's meeting, for its participants (it carries the join link)."""
    zone = consultation.tz
    starts = timezone.localtime(consultation.meeting_starts_at, zone)
    ends = timezone.localtime(consultation.meeting_ends_at or consultation.meeting_starts_at, zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Consultation Feedback//meeting//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", consultation.calendar_uid())
    event.add("sequence", consultation.calendar_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", consultation.title)
    page = settings.SITE_URL + reverse("feedback:meeting", args=[consultation.slug])
    description = [consultation.summary, page]
    if consultation.join_url:
        event.add("location", consultation.join_url)
        description.append(consultation.join_url)
    event.add("description", "\n\n".join(part for part in description if part))
    event.add("url", page)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
