"""`{% resource_document blocks layout %}` and friends: the resource page's numbered paragraphs, the participant's
marked passages and own comments with their edit and delete forms, and the fields of a comment form.

Written out in Python rather than as included templates: a draft of 200 paragraphs with 50 comments took
Django's template engine some 40,000 calls (docs/PERFORMANCE.md). Every piece of text is escaped here as the
template's autoescaping would; tests/test_comments.py checks the markup the page relies on."""

import functools
import secrets
from html import escape

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from feedback.i18n import content_html
from feedback.models import COMMENT_MAX_LENGTH, Comment
from feedback.participation.document import Layout, Paragraph, Section

register = template.Library()

AUTOSAVE_FIELDS = "^(text|proposed_change|kind)$"


def _text_html(text: str) -> str:
    """Escaped text with line breaks, as Django's linebreaksbr filter writes them."""
    return escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def autosave_attrs() -> str:
    """The data-* attributes that make static/js/autosave.js save a comment form as a whole."""
    messages = {
        "saving": _("Saving…"),
        "saved": _("Saved at {time}"),
        "retrying": _("Not saved — retrying…"),
        "failed": _("Not saved: {message}"),
        "session": _("your session has ended. Copy your text, then open your invitation link again."),
        "restored": _("Restored text you had not yet saved"),
    }
    counter = {
        "char-counter": _("{count} of {max} characters"),
        "char-counter-left": _("Characters left: {left}"),
    }
    parts = [f'data-autosave-fields="{AUTOSAVE_FIELDS}" data-autosave-whole="1"']
    parts += [f'data-msg-{name}="{escape(text)}"' for name, text in messages.items()]
    parts += [f'data-{name}="{escape(text)}"' for name, text in counter.items()]
    return " ".join(parts)


@functools.cache
def labels(language: str | None) -> dict:
    """The form's words in a language, escaped, translated once per process rather than once per form."""
    kinds = [(value, escape(str(label))) for value, label in Comment.Kind.choices]
    return {
        "kinds": kinds,
        "kind": escape(_("Type of comment")),
        "text": escape(_("Your comment")),
        "text-help": escape(_("Up to 5,000 characters. Only you and the organisers can read it.")),
        "proposed": escape(_("Proposed change (optional)")),
        "proposed-help": escape(
            _("The wording you would put instead of the passage, if you have one in mind.")
        ),
        "kind-names": dict(kinds),
        # Not escaped: formatted first, then escaped with what they are formatted with.
        "whole": _("Whole resource"),
        "version": _("version %(number)s"),
        "show": _("Show passage %(number)s in the text"),
        "about": _("your comment on %(place)s"),
        "mark": _("(your comment %(number)s on the highlighted passage)"),
        "on-paragraph": _("Your comments on %(label)s"),
        "on-section": _("Your comments on section %(label)s"),
    }


def place(comment: Comment, words: dict) -> str:
    """Comment.place without a translation lookup per comment."""
    if comment.section_id is None:
        return words["whole"]
    return comment.paragraph.label if comment.paragraph_id is not None else str(comment.section)


def kinds_html(prefix: str, chosen: str) -> str:
    words = labels(get_language())
    radios = "".join(
        f'<div class="form-check form-check-inline"><input class="form-check-input" type="radio" name="kind" '
        f'value="{value}" id="{prefix}-kind-{value}"{" checked" if chosen == value else ""}>'
        f'<label class="form-check-label" for="{prefix}-kind-{value}">{label}</label></div>'
        for value, label in words["kinds"]
    )
    return f'<fieldset class="mb-2"><legend class="form-label fs-6 mb-1">{words["kind"]}</legend>{radios}</fieldset>'


def _textarea(
    prefix: str, name: str, label: str, help_text: str, value: str, rows: int, invalid: bool
) -> str:
    # label and help_text come escaped (labels()).
    field_id = f"{prefix}-{name}"
    invalid_class, invalid_attr = (" is-invalid", ' aria-invalid="true"') if invalid else ("", "")
    return (
        f'<div class="mb-2"><label class="form-label" for="{field_id}">{label}</label>'
        f'<textarea name="{name}" id="{field_id}" class="form-control{invalid_class}" rows="{rows}" '
        f'maxlength="{COMMENT_MAX_LENGTH}" aria-describedby="{field_id}-help"{invalid_attr}>\n{escape(value)}'
        f'</textarea><div id="{field_id}-help" class="form-text">{help_text}</div></div>'
    )


def fields_html(prefix: str, values: dict) -> str:
    """A comment form's type, comment and proposed change; `prefix` makes the ids unique on the page."""
    invalid = values.get("invalid") or set()
    words = labels(get_language())
    return (
        kinds_html(prefix, str(values.get("kind") or Comment.Kind.GENERAL))
        + _textarea(
            prefix,
            "text",
            words["text"],
            words["text-help"],
            str(values.get("text") or ""),
            4,
            "text" in invalid,
        )
        + _textarea(
            prefix,
            "proposed_change",
            words["proposed"],
            words["proposed-help"],
            str(values.get("proposed_change") or ""),
            3,
            "proposed_change" in invalid,
        )
    )


def errors_html(errors: list[str]) -> str:
    if not errors:
        return ""
    items = "".join(f"<li>{escape(str(error))}</li>" for error in errors)
    return f'<div class="alert alert-danger py-2" role="alert"><ul class="mb-0">{items}</ul></div>'


def page_parts(context: template.Context) -> dict[str, str]:
    """What every comment on the page shares, worked out once per page: translated words, the CSRF input, URL
    patterns (reverse() for each of 50 comments cost more than the rest of a comment)."""
    parts = context.render_context.get("drafts_parts")
    if parts is None:
        slug = context["consultation"].slug
        urls = {
            name: reverse(f"feedback:comment-{name}", args=[slug, 0]).replace("/0/", "/{pk}/")
            for name in ("edit", "edit-autosave", "delete")
        }
        parts = {
            "csrf": csrf_input(context),
            "autosave": autosave_attrs(),
            "quoted": escape(_("Quoted passage:")),
            "proposed": escape(_("Proposed change")),
            "edit": escape(_("Edit")),
            "save": escape(_("Save changes")),
            "done": escape(_("Done")),
            "delete": escape(_("Delete")),
            "storage": escape(str(context.get("storage_key", ""))),
            **{f"url-{name}": url for name, url in urls.items()},
        }
        context.render_context["drafts_parts"] = parts
    return parts


def csrf_input(context: template.Context) -> str:
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(context.get("csrf_token", "")))}">'


def own_comment_html(context: template.Context, comment: Comment) -> str:
    """One of the participant's comments: its place, type, passage, text and proposed change, and (while the
    window is open) its edit form folded under "Edit" and a Delete button."""
    shared = page_parts(context)
    words = labels(get_language())
    version = context.get("version")
    pk = comment.pk
    where = place(comment, words)
    kind = words["kind-names"].get(comment.kind) or escape(comment.kind)
    head = f'<span class="badge text-bg-secondary">{kind}</span> <span class="comment-place">{escape(where)}</span>'
    if version is not None and comment.version_id != version.pk:
        head += " · " + escape(words["version"] % {"number": comment.version.number})
    parts = [f'<li id="comment-{pk}" class="own-comment card card-body mb-2" tabindex="-1">']
    parts.append(f'<p class="small mb-1">{head}</p>')
    if comment.quote:
        parts.append(
            f'<blockquote class="comment-quote mb-1" dir="auto"><span class="visually-hidden">{shared["quoted"]} '
            f"</span>“{escape(comment.quote)}”</blockquote>"
        )
        number = getattr(comment, "mark_number", None)
        if number:
            show = escape(words["show"] % {"number": number})
            parts.append(f'<p class="small mb-1"><a href="#passage-{pk}">{show}</a></p>')
    parts.append(f'<div class="answer-text">{_text_html(comment.text)}</div>')
    if comment.proposed_change:
        parts.append(
            f'<p class="small fw-semibold mb-0 mt-2">{shared["proposed"]}</p>'
            f'<div class="answer-text proposed-change">{_text_html(comment.proposed_change)}</div>'
        )
    if context.get("can_comment"):
        about = escape(words["about"] % {"place": where})
        parts.append('<div class="d-flex flex-wrap align-items-start gap-2 mt-2 comment-actions">')
        if context.get("editing") == pk:
            bound = context.get("edit_values")
            values = bound or {
                "kind": comment.kind,
                "text": comment.text,
                "proposed_change": comment.proposed_change,
            }
            saved = comment.updated_at.isoformat() if comment.updated_at else ""
            parts.append(
                f'<form method="post" action="{shared["url-edit"].format(pk=pk)}" class="comment-form flex-grow-1" '
                f'data-autosave-url="{shared["url-edit-autosave"].format(pk=pk)}" '
                f'data-storage-key="{shared["storage"]}:comment-{pk}" '
                f'data-saved-times=\'{{"text": "{saved}", "proposed_change": "{saved}"}}\' '
                f"{shared['autosave']}>{shared['csrf']}{errors_html(bound.get('errors', []) if bound else [])}"
                f"{fields_html(f'comment-{pk}', values)}"
                '<div class="d-flex flex-wrap align-items-center gap-2">'
                f'<button type="submit" class="btn btn-primary btn-sm">{shared["save"]}</button>'
                f'<a class="btn btn-link btn-sm" href="?#comment-{pk}">{shared["done"]}</a>'
                '<p class="autosave-status small mb-0" role="status" aria-live="polite"></p></div></form>'
            )
        else:
            # The edit form is written only for the comment being edited: fifty forms made the page slow.
            parts.append(
                f'<a class="btn btn-outline-primary btn-sm" href="?edit={pk}#comment-{pk}" data-edit-comment="{pk}" '
                f'data-saved-at="{comment.updated_at.isoformat() if comment.updated_at else ""}">'
                f'{shared["edit"]}<span class="visually-hidden"> {about}</span></a>'
            )
        parts.append(
            f'<form method="post" action="{shared["url-delete"].format(pk=pk)}">{shared["csrf"]}'
            f'<button type="submit" class="btn btn-outline-danger btn-sm">{shared["delete"]}'
            f'<span class="visually-hidden"> {about}</span></button></form></div>'
        )
    parts.append("</li>")
    return "".join(parts)


def paragraph_text_html(item: Paragraph) -> str:
    """The paragraph's text, the participant's passages marked, each followed by a link to its comment. The link
    is outside the text the browser counts offsets in (data-offset-skip)."""
    parts = []
    words = labels(get_language())
    for segment in item.segments:
        if segment.comment is None:
            parts.append(escape(segment.text))
            continue
        pk = segment.comment.pk
        start = f' id="passage-{pk}" tabindex="-1"' if segment.is_start else ""
        parts.append(f'<mark class="own-passage"{start}>{escape(segment.text)}</mark>')
        if segment.is_end:
            number = segment.comment.mark_number
            label = escape(words["mark"] % {"number": number})
            parts.append(
                f'<a class="passage-link" href="#comment-{pk}" data-offset-skip><span aria-hidden="true">'
                f'{number}</span><span class="visually-hidden">{label}</span></a>'
            )
    return "".join(parts)


TEXT_TAGS = {"code": "pre", "quote": "blockquote"}


def paragraph_html(block: Section, item: Paragraph) -> str:
    """A numbered paragraph with the participant's passages marked, not yet closed (their comments follow)."""
    paragraph = item.paragraph
    label = escape(paragraph.label)
    tag = TEXT_TAGS.get(paragraph.kind, "p")
    return (
        f'<div class="doc-para doc-{paragraph.kind} doc-level-{paragraph.level}" '
        f'id="{block.anchor}-p{paragraph.number}" data-paragraph="{paragraph.pk}" data-label="{label}" '
        f'data-section-form="new-comment-{block.anchor}"><span class="para-number">¶{paragraph.number}</span>'
        f'<{tag} class="para-text" dir="auto" data-paragraph-text>{paragraph_text_html(item)}</{tag}>'
    )


def draft_paragraphs_html(context: template.Context, block: Section, memo: dict) -> str:
    """A section's numbered paragraphs, each with the participant's own comments on it. `memo` keeps the
    markup of the paragraphs nobody's comment marks (most of them), built once per process and language."""
    parts = []
    for item in block.paragraphs:
        if not item.comments:
            html = memo.get(item.paragraph.pk)
            if html is None:
                html = memo[item.paragraph.pk] = paragraph_html(block, item) + "</div>"
            parts.append(html)
            continue
        heading = escape(labels(get_language())["on-paragraph"] % {"label": item.paragraph.label})
        comments = "".join(own_comment_html(context, comment) for comment in item.comments)
        parts.append(
            f'{paragraph_html(block, item)}<ul class="own-comments list-unstyled" aria-label="{heading}">'
            f"{comments}</ul></div>"
        )
    return "".join(parts)


# Stand-ins for what differs between requests in a new-comment form kept per process: random per process, so no
# text of a draft can contain them by chance or on purpose.
CSRF_STAND_IN = "csrf" + secrets.token_hex(12)
STORAGE_STAND_IN = "storage" + secrets.token_hex(12)
DRAFT_KEY_STAND_IN = "draftkey" + secrets.token_hex(12)


def new_comment_form_html(context: template.Context, anchor: str, section: object, paragraphs: list) -> str:
    """A new-comment form with its default values, rendered from its template with stand-ins for the CSRF token,
    the participant's storage key and the form's draft key."""
    return render_to_string(
        "feedback/comment_new_form.html",
        {
            "consultation": context["consultation"],
            "resource": context["resource"],
            "storage_key": STORAGE_STAND_IN,
            "csrf_token": CSRF_STAND_IN,
            "draft_key": DRAFT_KEY_STAND_IN,
            "anchor": anchor,
            "section": section,
            "paragraphs": paragraphs,
            "values": {"kind": Comment.Kind.GENERAL},
        },
    )


def fill_form(html: str, context: template.Context) -> str:
    return (
        html.replace(CSRF_STAND_IN, escape(str(context.get("csrf_token", ""))))
        .replace(STORAGE_STAND_IN, escape(str(context.get("storage_key", ""))))
        .replace(DRAFT_KEY_STAND_IN, secrets.token_urlsafe(16))
    )


def new_comment_form(
    context: template.Context, memo: dict, anchor: str, section: object, paragraphs: list, values: dict
) -> str:
    """The new-comment form at `anchor`: kept per process and language with its default values; rendered anew
    only for a form refused on save, which shows what was typed and why it was refused."""
    if "errors" in values:
        with context.push(anchor=anchor, section=section, paragraphs=paragraphs, values=values):
            return render_to_string("feedback/comment_new_form.html", context.flatten())
    key = ("form", anchor)
    html = memo.get(key)
    if html is None:
        html = memo[key] = new_comment_form_html(context, anchor, section, paragraphs)
    return fill_form(html, context)


def memo_of(layout: Layout) -> dict:
    """The markup kept with the layout for the active language."""
    return layout.memo.setdefault(get_language(), {})


def section_head_html(block: Section) -> str:
    section, anchor = block.section, block.anchor
    head = (
        f'<section id="{anchor}" class="doc-section mb-4" aria-labelledby="{anchor}-heading">'
        f'<h2 id="{anchor}-heading" class="h4 doc-heading-{section.level}"><span class="section-number">'
        f"{escape(section.label)}</span> {content_html(section, 'heading')}</h2>"
    )
    if not block.paragraphs and section.body:
        head += f'<div class="prose">{linebreaks(content_html(section, "body"))}</div>'
    return head


@register.simple_tag(takes_context=True)
def resource_document(context: template.Context, blocks: list[Section], layout: Layout) -> SafeString:
    """The draft's sections: each with its numbered paragraphs, the participant's comments on them and on the
    section, and (while they may comment) a form for a new comment. What is the same for every participant is
    kept in the layout's memo per language; the participant's passages, comments and tokens are filled in."""
    memo = memo_of(layout)
    can_comment = context.get("can_comment")
    parts = []
    for block in blocks:
        key = ("head", block.section.pk)
        head = memo.get(key)
        if head is None:
            head = memo[key] = section_head_html(block)
        parts.append(head)
        parts.append(draft_paragraphs_html(context, block, memo))
        if block.comments:
            heading = escape(labels(get_language())["on-section"] % {"label": block.section.label})
            items = "".join(own_comment_html(context, comment) for comment in block.comments)
            parts.append(f'<h3 class="h6">{heading}</h3><ul class="own-comments list-unstyled">{items}</ul>')
        if can_comment:
            parts.append(
                new_comment_form(context, memo, block.anchor, block.section, block.paragraphs, block.values)
            )
        parts.append("</section>")
    # Escaped piece by piece: the participant's text in own_comment_html and paragraph_text_html, the draft's in
    # section_head_html and paragraph_html, the forms by their template.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


@register.simple_tag(takes_context=True)
def whole_resource_form(context: template.Context, layout: Layout, values: dict) -> SafeString:
    # Rendered by its template (autoescaped), with tokens filled in escaped.
    return mark_safe(new_comment_form(context, memo_of(layout), "whole-resource", None, None, values))  # noqa: S308  # nosec B308 B703


@register.simple_tag
def resource_toc(blocks: list[Section], layout: Layout) -> SafeString:
    """The list of sections, kept per process and language."""
    memo = memo_of(layout)
    html = memo.get("toc")
    if html is None:
        html = memo["toc"] = "".join(
            f'<li class="toc-level-{block.section.level}"><a href="#{block.anchor}">'
            f"{escape(block.section.label)} {content_html(block.section, 'heading')}</a></li>"
            for block in blocks
        )
    # The draft's headings escaped above.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


@register.simple_tag(takes_context=True)
def own_comments(context: template.Context, comments: list[Comment]) -> SafeString:
    """A list of the participant's own comments (on a section, the whole resource, an earlier version)."""
    items = "".join(own_comment_html(context, comment) for comment in comments)
    # Escaped piece by piece in own_comment_html.
    return mark_safe(f'<ul class="own-comments list-unstyled">{items}</ul>')  # noqa: S308  # nosec B308 B703


@register.simple_tag
def paragraph_options(paragraphs: list[Paragraph], chosen: object) -> SafeString:
    """The choice of a section's paragraphs in its comment form: "¶4 · its first words"."""
    options = []
    for item in paragraphs:
        paragraph = item.paragraph
        text = paragraph.text if len(paragraph.text) <= 60 else paragraph.text[:59] + "…"
        selected = " selected" if str(chosen) == str(paragraph.pk) else ""
        options.append(
            f'<option value="{paragraph.pk}"{selected}>¶{paragraph.number} · {escape(text)}</option>'
        )
    # The paragraphs' text is escaped above.
    return mark_safe("".join(options))  # noqa: S308  # nosec B308 B703


@register.simple_tag
def comment_fields(prefix: str, values: dict) -> SafeString:
    # Escaped piece by piece in fields_html.
    return mark_safe(fields_html(prefix, values))  # noqa: S308  # nosec B308 B703


@register.simple_tag
def comment_form_errors(values: dict) -> SafeString:
    return mark_safe(errors_html(values.get("errors") or []))  # noqa: S308  # nosec B308 B703


@register.simple_tag
def comment_autosave_attrs() -> SafeString:
    return mark_safe(autosave_attrs())  # noqa: S308  # nosec B308 B703


@register.simple_tag(takes_context=True)
def new_draft_key(context: template.Context) -> str:
    """A random key for one new-comment form: its autosave and its post then make one comment. A form kept per
    process (new_comment_form) gets a stand-in, replaced by a new key on every page."""
    return context.get("draft_key") or secrets.token_urlsafe(16)
