"""Which language a person sees: the switcher, the participant's stored choice, and the language of answers.

Pages follow, in order: the language a participant chose (Participant.language, so it follows them to another
browser and into their emails), the switcher's cookie, the browser's Accept-Language, English.
"""

from django.conf import settings
from django.conf.global_settings import LANGUAGES as ALL_LANGUAGES
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from feedback import session
from feedback.models import Participant

SITE_LANGUAGES = {code for code, _name in settings.LANGUAGES}


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (safe `next`, the cookie), and the choice kept for the participants of this session."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if code in SITE_LANGUAGES:
        bound = session.bound_participant_ids(request)
        if bound:
            Participant.objects.filter(pk__in=bound).update(language=code)
    return response


def use_participant_language(request: HttpRequest, participant: Participant) -> None:
    """Show this request in the participant's own choice of language, when they made one."""
    code = participant.language
    if code in SITE_LANGUAGES and code != translation.get_language():
        translation.activate(code)
        request.LANGUAGE_CODE = code


def remember_language(participant: Participant, code: str | None) -> None:
    """Keep the language a participant first arrived in, so that their emails match their pages."""
    if not participant.language and code in SITE_LANGUAGES:
        Participant.objects.filter(pk=participant.pk, language="").update(language=code)
        participant.language = code


def answer_language(participant: Participant) -> str:
    """The language code recorded with an answer or comment: the one the participant says they write in,
    else the language of the page they write on."""
    return participant.answer_language or translation.get_language() or settings.LANGUAGE_CODE


def answer_language_choices() -> list[tuple[str, str]]:
    """Every language Django knows, named in the reader's language and sorted by that name, for the profile."""
    named = [(code, gettext(name)) for code, name in ALL_LANGUAGES if "-" not in code or code == "zh-hans"]
    return sorted(named, key=lambda pair: pair[1].casefold())


def native_language_names(request: HttpRequest) -> dict[str, object]:
    """Context processor: the site's languages each named in itself, for the switcher ("Français", not
    "French" or "Anglais"), whatever language the page is in."""
    return {"NATIVE_LANGUAGES": settings.LANGUAGES}


def content_html(obj: object, field: str) -> str:
    """A translated field of consultation content, escaped. When the reader's language has no translation and
    the English stands in, it is marked as English (lang, and ltr inside a right-to-left page), so screen readers
    pronounce it right and punctuation stays where it belongs."""
    value = getattr(obj, field) or ""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if value and language != settings.LANGUAGE_CODE and not getattr(obj, f"{field}_{language}", None):
        return format_html('<span lang="{}" dir="ltr">{}</span>', settings.LANGUAGE_CODE, value)
    return conditional_escape(value)
