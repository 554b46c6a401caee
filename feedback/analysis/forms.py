"""The staff search form of the analysis pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from feedback.models import Consultation, Participant, Resource, Theme


class AnalysisSearchForm(forms.Form):
    """The analysis search page: words to find and one value per filter, each optional."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Moderation status"), required=False)
    question = forms.TypedChoiceField(label=_("Question"), required=False, coerce=int, empty_value=None)
    resource = forms.TypedChoiceField(label=_("Resource"), required=False, coerce=int, empty_value=None)
    theme = forms.TypedChoiceField(label=_("Theme"), required=False, coerce=int, empty_value=None)
    organisation_type = forms.ChoiceField(label=_("Organisation type"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args: Any, consultation: Consultation, see_hidden: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        from feedback.models import Moderated

        anything = [("", _("Any"))]
        statuses = Moderated.Status.choices
        if not see_hidden:
            statuses = [(value, label) for value, label in statuses if value != Moderated.Status.HIDDEN]
        self.fields["status"].choices = anything + statuses
        self.fields["question"].choices = anything + [
            (pk, f"Q{number}. {text[:60]}")
            for pk, number, text in consultation.questions.order_by("number").values_list(
                "pk", "number", "text"
            )
        ]
        self.fields["resource"].choices = anything + list(
            Resource.objects.filter(consultations=consultation).order_by("title").values_list("pk", "title")
        )
        themes = Theme.objects.order_by("code")
        if consultation.codebook_id is not None:
            themes = themes.filter(codebook_id=consultation.codebook_id)
        self.fields["theme"].choices = anything + [
            (pk, f"{code} {name}") for pk, code, name in themes.values_list("pk", "code", "name")
        ]
        self.fields["organisation_type"].choices = anything + Participant.OrganisationType.choices
        codes = consultation.participants.exclude(country="").order_by().values_list("country", flat=True)
        self.fields["country"].choices = anything + sorted(
            ((code, countries.name(code)) for code in set(codes)), key=lambda pair: pair[1]
        )
