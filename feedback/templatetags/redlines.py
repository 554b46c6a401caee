"""Redlines in templates: `{{ ops|redline }}` and `{{ paragraph|paragraph_label }}` (organising/versions.py)."""

from django import template
from django.utils.safestring import SafeString

from feedback.organising.versions import redline_html

register = template.Library()


@register.filter
def redline(ops: list) -> SafeString:
    """Word-level ops ("equal" | "delete" | "insert", text) as text with <del> and <ins>, announced to screen
    readers."""
    return redline_html(ops)


@register.filter
def paragraph_label(paragraph: object) -> str:
    """An anchoring.Paragraph as readers cite it: "3.2 ¶4"."""
    return f"{paragraph.section} ¶{paragraph.number}"
