"""`{{ question|content:"text" }}`: consultation content in the reader's language, the English marked as such."""

from django import template

from feedback import i18n

register = template.Library()


@register.filter
def content(obj: object, field: str) -> str:
    return i18n.content_html(obj, field)
