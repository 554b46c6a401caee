"""`{% answer_field field %}`: one field of the guiding questions' form (templates/feedback/answer_field.html)."""

from django import template
from django.forms import BoundField
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from feedback.participation.forms import ANSWER_FIELD_MARKUP

register = template.Library()


@register.simple_tag(takes_context=True)
def answer_field(context: template.Context, field: BoundField) -> SafeString:
    """The field's markup (ANSWER_FIELD_MARKUP): put together from the pieces cut from that template's output when
    the form's fields are shared ones (AnswersForm.shared_fields), else rendered by the template with this context,
    as crispy's include of it did."""
    pieces = getattr(field.field, "answer_pieces", None)
    if pieces is not None and not field.errors:
        html = pieces.html(field)
        if html is not None:
            # Pieces of the template's own output; the answer in them is escaped (AnswerPieces.html).
            return mark_safe(html)  # noqa: S308  # nosec B308 B703
    return get_template(ANSWER_FIELD_MARKUP).template.render(context)
