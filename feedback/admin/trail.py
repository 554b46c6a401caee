"""The audit trail in the admin, and the user and group admins that record every change of who may do what."""

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from feedback import audit
from feedback.models import (
    AuditEvent,
)

# The audit trail, and who may do what


class ObjectTypeFilter(admin.AllValuesFieldListFilter):
    """Object types as stored; events about no object in particular (an export of everything) are listed as
    "none" rather than as a link with no text."""

    def choices(self, changelist: Any):
        for choice in super().choices(changelist):
            if choice["display"] == "":
                choice["display"] = _("none")
            yield choice


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The trail is read-only for everyone, superusers included: the admin can neither add, change nor delete."""

    list_display = [
        "at",
        "actor_name",
        "action",
        "consultation",
        "object_type",
        "object_repr",
        "count",
        "change_summary",
    ]
    list_filter = ["action", "consultation", ("object_type", ObjectTypeFilter), "at"]
    search_fields = ["actor_name", "object_repr", "object_id"]
    list_select_related = ["consultation"]
    show_full_result_count = False
    date_hierarchy = "at"
    fields = [
        "at",
        "actor",
        "actor_name",
        "action",
        "consultation",
        "object_type",
        "object_id",
        "object_repr",
        "count",
        "before_json",
        "after_json",
        "details_json",
    ]
    readonly_fields = fields

    @admin.display(description=_("before → after"))
    def change_summary(self, obj: AuditEvent) -> str:
        before = obj.before if isinstance(obj.before, dict) else {}
        after = obj.after if isinstance(obj.after, dict) else {}
        keys = sorted(set(before) | set(after))
        # format_html_join escapes the values: they can hold participants' words and organisers' notes.
        return format_html_join(
            "\n",
            "<div>{}: {} → {}</div>",
            (
                (key, summary_value(before.get(key, "–")), summary_value(after.get(key, "–")))
                for key in keys[:SUMMARY_KEYS]
            ),
        )

    @admin.display(description=_("before"))
    def before_json(self, obj: AuditEvent) -> str:
        return pretty_json(obj.before)

    @admin.display(description=_("after"))
    def after_json(self, obj: AuditEvent) -> str:
        return pretty_json(obj.after)

    @admin.display(description=_("details"))
    def details_json(self, obj: AuditEvent) -> str:
        return pretty_json(obj.details)

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        # Only the view permission opens the trail: the change permission means nothing for it.
        return request.user.has_perm("feedback.view_auditevent")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


SUMMARY_KEYS = 4


SUMMARY_CHARS = 40


def summary_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return Truncator(text).chars(SUMMARY_CHARS)


def pretty_json(value: object) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


NEW_USER_RIGHTS = {
    "is_active": True,
    "is_staff": False,
    "is_superuser": False,
    "groups": [],
    "user_permissions": [],
}


def user_rights(user: AbstractUser) -> dict[str, object]:
    return {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


def initial_user_rights(initial: dict[str, Any]) -> dict[str, object]:
    """The rights the change form opened with (groups and permissions are objects in a form's initial)."""
    return {
        "is_active": initial.get("is_active", True),
        "is_staff": initial.get("is_staff", False),
        "is_superuser": initial.get("is_superuser", False),
        "groups": sorted(group.name for group in initial.get("groups", [])),
        "user_permissions": sorted(perm.codename for perm in initial.get("user_permissions", [])),
    }


class AuditedUserAdmin(UserAdmin):
    """Django's user admin, recording every change to someone's rights in the audit trail."""

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = initial_user_rights(form.initial) if change else NEW_USER_RIGHTS
        after = user_rights(form.instance)
        changed = [key for key in after if before[key] != after[key]]
        if changed:
            audit.record(
                actor=request.user,
                action=AuditEvent.Action.PERMISSION,
                obj=form.instance,
                before={key: before[key] for key in changed},
                after={key: after[key] for key in changed},
                details={"via": "admin", "added": not change},
            )


class AuditedGroupAdmin(GroupAdmin):
    """Django's group admin, recording every change to a group's permissions in the audit trail."""

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = sorted(perm.codename for perm in form.initial.get("permissions", [])) if change else []
        after = sorted(form.instance.permissions.values_list("codename", flat=True))
        if before != after:
            audit.record(
                actor=request.user,
                action=AuditEvent.Action.PERMISSION,
                obj=form.instance,
                before={"permissions": before},
                after={"permissions": after},
                details={"via": "admin", "added": not change},
            )
