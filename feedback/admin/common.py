"""What the admin modules share: export permissions and the audited CSV download, form changes recorded in
the audit trail, and search across every language's column."""

from datetime import date, datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from feedback import audit
from feedback.admin.trail import AuditedGroupAdmin, AuditedUserAdmin
from feedback.models import (
    AuditEvent,
    Consultation,
)

EXCERPT_CHARS = 120


class NamedInlineFormSet(BaseInlineFormSet):
    """A tabular inline shows a field's label only as its column heading, which names no input for a screen reader
    (WCAG 4.1.2): each input of a row, the delete box included, is named by its column."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        for field in form.fields.values():
            # A split date and time labels its own two inputs (templates/admin/widgets/split_datetime.html).
            # A foreign key's select sits inside the admin's wrapper (with its add and change links).
            widget = getattr(field.widget, "widget", field.widget)
            if field.label and not isinstance(widget, forms.MultiWidget):
                widget.attrs.setdefault("aria-label", str(field.label))


def in_every_language(*fields: str) -> list[str]:
    """Search fields for translated content: each language's column, so that an organiser reading the admin in
    French still finds a consultation by its English title (the plain name would search French only)."""
    return [f"{field}_{code}" for field in fields for code, _name in settings.LANGUAGES]


def jsonable(value: object) -> object:
    """A form value as the audit trail stores it: objects by primary key, times as ISO 8601, the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | QuerySet):
        return [jsonable(item) for item in value]
    return str(value)


def record_form_change(
    request: HttpRequest,
    obj: models.Model,
    form: forms.ModelForm,
    change: bool,
    *,
    fields: list[str] | None = None,
    action: str = AuditEvent.Action.CHANGE,
    consultation: Consultation | None = None,
) -> None:
    """One audit event for the fields the organiser changed on an admin form, with their old and new values."""
    changed = [name for name in form.changed_data if fields is None or name in fields]
    if not changed:
        return
    audit.record(
        actor=request.user,
        action=action,
        consultation=consultation,
        obj=obj,
        before={name: jsonable(form.initial.get(name)) for name in changed} if change else {},
        after={name: jsonable(form.cleaned_data.get(name)) for name in changed},
        details={"via": "admin", "added": not change},
    )


admin.site.unregister(get_user_model())


admin.site.register(get_user_model(), AuditedUserAdmin)


admin.site.unregister(Group)


admin.site.register(Group, AuditedGroupAdmin)
