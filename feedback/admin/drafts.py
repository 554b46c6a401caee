"""Importing a draft in the admin: upload a DOCX, ODT, Markdown or HTML file, see its sections and numbered
paragraphs (and, for a new version, how many comments would be found again), confirm to store it.

Between preview and confirmation the file waits in the media storage under drafts-pending/, named by a random
token that travels to the browser signed: the confirmation reads that file again, never anything the browser
sends back, and an edited, stale or someone else's token is refused."""

import secrets
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.admin.forms import DraftConfirmForm, DraftUploadForm
from feedback.models import Consultation, Resource, ResourceParagraph
from feedback.organising import versions
from feedback.organising.drafts import MAX_UPLOAD_BYTES, Draft, DraftError, read_draft

DRAFT_PAYLOAD_SALT = "feedback.drafts"
DRAFT_PAYLOAD_MAX_AGE = timedelta(hours=6)
PENDING_DIR = "drafts-pending"
# The preview lists this many paragraphs; the rest are counted (a 200-page draft has thousands).
PREVIEW_PARAGRAPHS = 400


def _keep_pending(data: bytes, *, filename: str) -> str:
    """Store the uploaded bytes until confirmation; returns the random token naming them. Files older than a
    preview may live are removed on the way (previews nobody confirmed)."""
    stale = timezone.now() - DRAFT_PAYLOAD_MAX_AGE
    try:
        _folders, names = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        names = []
    for name in names:
        try:
            if default_storage.get_modified_time(f"{PENDING_DIR}/{name}") < stale:
                default_storage.delete(f"{PENDING_DIR}/{name}")
        except FileNotFoundError:  # another worker removed it first
            pass
    token = secrets.token_urlsafe(24)
    default_storage.save(_pending_name(token, filename), ContentFile(data))
    return token


def _pending_name(token: str, filename: str) -> str:
    # The token is ours (signed), but it still only names a file inside the folder.
    if not token.replace("-", "").replace("_", "").isalnum():
        raise signing.BadSignature
    return f"{PENDING_DIR}/{token}{PurePath(filename).suffix.lower()}"


def _read_pending(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read(MAX_UPLOAD_BYTES + 1)


def _paragraph_rows(draft: Draft) -> tuple[list[dict[str, Any]], int]:
    """The preview's sections, each with its first paragraphs ("3.2 ¶4", kind, text); and how many were left out."""
    shown = 0
    sections = []
    for section in draft.sections:
        rows = []
        for number, block in enumerate(section.blocks, start=1):
            if shown < PREVIEW_PARAGRAPHS:
                kind = ResourceParagraph.Kind(block.kind).label
                rows.append({"label": f"{section.number} ¶{number}", "kind": kind, "block": block})
                shown += 1
        sections.append({"section": section, "paragraphs": rows, "count": len(section.blocks)})
    return sections, draft.paragraph_count() - shown


class DraftImportPages:
    """The upload, preview and confirmation pages, for the consultation admin (a new resource) and the
    resource admin (its newest text). Subclasses say which object, permission and storing function."""

    draft_target: str  # "consultation" or "resource"

    def has_draft_import_permission(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def draft_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/import-draft/",
                self.admin_site.admin_view(self.import_draft_view),
                name="{}_{}_import_draft".format(*info),
            ),
            path(
                "<path:object_id>/import-draft/confirm/",
                self.admin_site.admin_view(self.import_draft_confirm_view),
                name="{}_{}_import_draft_confirm".format(*info),
            ),
        ]

    def _target(self, request: HttpRequest, object_id: str) -> Consultation | Resource:
        if not self.has_draft_import_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def _draft_page(
        self,
        request: HttpRequest,
        obj: Consultation | Resource,
        template: str,
        status: int = 200,
        **extra: Any,
    ) -> TemplateResponse:
        title = (
            _("Import a draft into %(consultation)s") % {"consultation": obj}
            if self.draft_target == "consultation"
            else _("Import a new text of %(resource)s") % {"resource": obj}
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": title,
            "target": self.draft_target,
            "upload_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_draft", args=[obj.pk]
            ),
            "confirm_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_draft_confirm", args=[obj.pk]
            ),
            **extra,
        }
        return TemplateResponse(request, f"admin/feedback/drafts/{template}", context, status=status)

    def import_draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: the upload form; POST: read the file and show the preview, nothing stored yet."""
        obj = self._target(request, object_id)
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        with_title = self.draft_target == "consultation"
        if request.method == "GET":
            return self._draft_page(request, obj, "upload.html", form=DraftUploadForm(with_title=with_title))
        form = DraftUploadForm(request.POST, request.FILES, with_title=with_title)
        if not form.is_valid():
            return self._draft_page(request, obj, "upload.html", form=form)
        upload = form.cleaned_data["file"]
        try:
            draft = read_draft(upload, filename=upload.name)
        except DraftError as error:
            form.add_error("file", ValidationError(error.message, code=error.code))
            return self._draft_page(request, obj, "upload.html", form=form)
        upload.seek(0)
        token = _keep_pending(upload.read(), filename=upload.name)
        title = form.cleaned_data.get("title", "") or ""
        payload = signing.dumps(
            {
                "token": token,
                "name": PurePath(upload.name).name,
                "title": title,
                "user": request.user.pk,
                "id": obj.pk,
            },
            salt=f"{DRAFT_PAYLOAD_SALT}.{self.draft_target}",
        )
        return self._preview(request, obj, draft, payload=payload, name=upload.name, title=title)

    def _preview(
        self,
        request: HttpRequest,
        obj: Consultation | Resource,
        draft: Draft,
        *,
        payload: str,
        name: str,
        title: str,
    ) -> TemplateResponse:
        sections, left_out = _paragraph_rows(draft)
        extra: dict[str, Any] = {}
        if isinstance(obj, Resource):
            extra = versions.preview_version(resource=obj, draft=draft)
        return self._draft_page(
            request,
            obj,
            "preview.html",
            form=DraftConfirmForm(initial={"payload": payload}),
            draft=draft,
            draft_title=title or draft.title,
            file_name=PurePath(name).name,
            sections=sections,
            left_out=left_out,
            **extra,
        )

    def import_draft_confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Read the kept file again, store it, and go to the resource."""
        obj = self._target(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_draft", args=[obj.pk])
            )
        form = DraftConfirmForm(request.POST)
        with_title = self.draft_target == "consultation"
        try:
            if not form.is_valid():
                raise signing.BadSignature
            data = signing.loads(
                form.cleaned_data["payload"],
                salt=f"{DRAFT_PAYLOAD_SALT}.{self.draft_target}",
                max_age=DRAFT_PAYLOAD_MAX_AGE,
            )
            if data["user"] != request.user.pk or data["id"] != obj.pk:
                raise signing.BadSignature
            pending = _pending_name(data["token"], data["name"])
            content = _read_pending(pending)
        except (signing.BadSignature, KeyError, TypeError, ValueError, OSError):
            error = _("The preview was changed or is too old. Upload the file again.")
            return self._draft_page(
                request,
                obj,
                "upload.html",
                status=400,
                form=DraftUploadForm(with_title=with_title),
                error=error,
            )
        try:
            draft = read_draft(content, filename=data["name"])
            stored = self._store(request, obj, draft, name=data["name"], title=data["title"])
        except DraftError as error:  # the same file was read before: only a changed pandoc could get here
            return self._draft_page(
                request,
                obj,
                "upload.html",
                status=400,
                form=DraftUploadForm(with_title=with_title),
                error=error.message,
            )
        except ValidationError as error:
            return self._draft_page(
                request,
                obj,
                "upload.html",
                status=400,
                form=DraftUploadForm(with_title=with_title),
                error=" ".join(error.messages),
            )
        default_storage.delete(pending)
        self.message_user(request, stored_message(stored), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:feedback_resource_change", args=[stored.resource.pk]))

    def _store(
        self, request: HttpRequest, obj: Consultation | Resource, draft: Draft, *, name: str, title: str
    ) -> versions.Stored:
        raise NotImplementedError


def stored_message(stored: versions.Stored) -> str:
    counts = ngettext(
        "%(sections)d section and %(paragraphs)d paragraphs",
        "%(sections)d sections and %(paragraphs)d paragraphs",
        stored.sections,
    ) % {"sections": stored.sections, "paragraphs": stored.paragraphs}
    if stored.replaced:
        message = _("Replaced the text of version %(version)d of “%(resource)s”: %(counts)s.")
    else:
        message = _("Stored version %(version)d of “%(resource)s”: %(counts)s.")
    message = message % {"version": stored.version.number, "resource": stored.resource, "counts": counts}
    if stored.placements:
        found = stored.placement_counts()
        message += (
            " "
            + _(
                "Comments on the previous version: %(exact)d found exactly, %(approximate)d approximately, "
                "%(orphaned)d not found."
            )
            % found
        )
    return message


class ConsultationDraftImport(DraftImportPages):
    """ "Import a draft" on a consultation: the file becomes a new resource under consultation."""

    draft_target = "consultation"

    def has_draft_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("feedback.add_resource")

    def _store(
        self, request: HttpRequest, obj: Consultation, draft: Draft, *, name: str, title: str
    ) -> versions.Stored:
        return versions.import_new_resource(
            consultation=obj, draft=draft, title=title, source_name=name, by=request.user
        )


class ResourceDraftImport(DraftImportPages):
    """ "Import a new text" on a resource: it replaces the text nobody commented on yet, else is a new version."""

    draft_target = "resource"

    def has_draft_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("feedback.change_resource")

    def _store(
        self, request: HttpRequest, obj: Resource, draft: Draft, *, name: str, title: str
    ) -> versions.Stored:
        return versions.import_version(resource=obj, draft=draft, source_name=name, by=request.user)
