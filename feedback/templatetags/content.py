"""`{{ question|content:"text" }}`: consultation content in the reader's language, the English marked as such;
`{{ email|ltr }}`: an address, link or code that reads left to right whatever the page's direction."""

from django import template
from django.utils.html import format_html

from feedback import i18n

register = template.Library()


@register.filter
def content(obj: object, field: str) -> str:
    return i18n.content_html(obj, field)


@register.filter
def ltr(value: object) -> str:
    """Isolated and left to right: in an Arabic page "alice@example.org" or "P-0007" would otherwise take the
    page's direction and show its parts in reverse order ("example.org@alice")."""
    if value in (None, ""):
        return ""
    return format_html('<bdi dir="ltr">{}</bdi>', value)
