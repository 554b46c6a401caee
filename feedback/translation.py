"""Consultation content entered per language (django-modeltranslation): `title_fr` beside `title`, and so on.

Reading `title` gives the active language's text, or the English one when that translation is empty
(MODELTRANSLATION_FALLBACK_LANGUAGES). Participants' own words are never translated: they keep the language
they were written in, recorded on each answer and comment.
"""

from modeltranslation.translator import TranslationOptions, register

from feedback.models import AgendaItem, Consultation, Question, Resource, ResourceSection, Theme


@register(Consultation)
class ConsultationTranslation(TranslationOptions):
    fields = (
        "title",
        "stakeholder_group",
        "summary",
        "background",
        "objective",
        "structure",
        "expected_outcomes",
        "window_note",
        "confidentiality",
    )


@register(Resource)
class ResourceTranslation(TranslationOptions):
    fields = ("title", "summary")
    # A missing title is NULL, not "": the unique (title, version) rule then holds per language, for titles only.
    empty_values = {"title": None}


@register(ResourceSection)
class ResourceSectionTranslation(TranslationOptions):
    fields = ("heading", "body")


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("text", "help_text", "choices", "scale_min_label", "scale_max_label")


@register(Theme)
class ThemeTranslation(TranslationOptions):
    fields = ("name", "description")
    # As for resource titles: theme names are unique per code book in each language that has one.
    empty_values = {"name": None}


@register(AgendaItem)
class AgendaItemTranslation(TranslationOptions):
    fields = ("title",)
