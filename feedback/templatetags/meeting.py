"""Template filters of the meeting pages."""

from django import template

register = template.Library()


@register.filter
def clock(seconds: int) -> str:
    """Seconds as minutes and seconds, "12:05"; hours count as minutes (a meeting item never lasts hours)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
