"""Django's i18n template library (`{% load i18n %}`, settings.TEMPLATES' "libraries"), with `{% translate %}` of a
plain message kept per language once rendered.

A `{% translate "Save answers" %}` renders the same text every time in a given language; Django works it out
again each time, through a lazy translation, the localisation of the value and its escaping: about 80 function
calls per tag, and a participant page has twenty or more of them (docs/PERFORMANCE.md). Here the tag's output is
kept per node, active language and autoescaping, after Django's own TranslateNode rendered it the first time.
Only tags that depend on nothing else are kept: a string literal without filters, `as`, `context` or `noop`;
every other form of the tag, and every other tag and filter of the library, is Django's own.
"""

from django import template
from django.templatetags import i18n as django_i18n
from django.utils.translation import get_language

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)


class KeptTranslateNode(django_i18n.TranslateNode):
    """A TranslateNode of a plain message: rendered by Django once per language and autoescaping, then kept
    (template nodes live as long as the cached template loader keeps their template)."""

    def render(self, context: template.Context) -> str:
        key = (get_language(), context.autoescape)
        kept = self.kept.get(key)
        if kept is None:
            kept = self.kept[key] = super().render(context)
        return kept


def is_plain_message(node: django_i18n.TranslateNode) -> bool:
    expression = node.filter_expression
    return (
        not node.noop
        and node.asvar is None
        and node.message_context is None
        and not expression.filters
        and isinstance(expression.var, template.Variable)
        and isinstance(expression.var.literal, str)
    )


@register.tag("translate")
@register.tag("trans")
def do_translate(parser: template.base.Parser, token: template.base.Token) -> template.Node:
    node = django_i18n.do_translate(parser, token)
    if type(node) is django_i18n.TranslateNode and is_plain_message(node):
        node.__class__ = KeptTranslateNode
        node.kept = {}
    return node
