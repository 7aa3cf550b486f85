"""Dashboard pages for LoRA datasets: list and create, detail with captions, upload, delete."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.upload_guard import cross_origin
from styles import selectors
from styles.file_responses import serve_dataset_image
from styles.models import DatasetImage, FineTune, FineTuneState
from styles.services import dataset_duplicates, dataset_ingest, datasets
from styles.web.errors import form_error, styles_view
from styles.web.forms import DatasetForm, UploadForm
from tenants.actors import Actor
from tenants.roles import Perm, role_allows
from tenants.web import flash_domain_error, paginate


@styles_view(Perm.VIEW)
def dataset_list(request):
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = datasets.create_dataset(
                tenant=request.tenant, actor=Actor.from_request(request), **form.cleaned_data
            )
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            return redirect("dataset_detail", dataset_id=dataset.pk)
    return render(
        request,
        "styles/dataset_list.html",
        {"datasets": paginate(request, selectors.datasets_for(request.tenant)), "form": form},
    )


@styles_view(Perm.VIEW)
def dataset_detail(request, dataset_id):
    dataset = datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
    if request.method == "POST":
        captions = {
            k.removeprefix("caption_"): v
            for k, v in request.POST.items()
            if k.startswith("caption_")
        }
        try:
            changed = datasets.update_captions(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                dataset_id=dataset.pk,
                captions=captions,
            )
            messages.success(
                request,
                ngettext("Saved %(count)d caption.", "Saved %(count)d captions.", changed)
                % {"count": changed},
            )
        except DomainError as exc:
            flash_domain_error(request, exc)
        return redirect("dataset_detail", dataset_id=dataset.pk)
    images = dataset.images.defer("thumbnail", "clip_embedding").order_by("status", "created_at")
    uses = FineTune.objects.for_tenant(request.tenant).filter(dataset=dataset)
    in_use = uses.filter(state__in=datasets.IN_USE).first()
    return render(
        request,
        "styles/dataset_detail.html",
        {
            "dataset": dataset,
            "in_use": in_use,
            "can_remove": role_allows(request.membership.role, Perm.MANAGE_STYLES)
            and in_use is None,
            "draft_count": uses.filter(state=FineTuneState.DRAFT).count(),
            "images": paginate(request, images, per_page=100),
            "duplicates": selectors.open_duplicates(request.tenant, dataset)[:50],
            "duplicate_count": selectors.open_duplicates(request.tenant, dataset).count(),
            "clip_check": selectors.clip_check(dataset),
            "accepted": dataset.images.filter(status="accepted").count(),
            "rejected": dataset.images.filter(status="rejected").count(),
            "upload_form": UploadForm(),
            # The page's script splits big selections into requests within these limits.
            "batch_files": max(1, settings.DATA_UPLOAD_MAX_NUMBER_FILES - 10),
            "batch_bytes": int(getattr(settings, "MAX_REQUEST_BODY_BYTES", 0) or 2**31) * 9 // 10,
        },
    )


@csrf_exempt  # checked in _dataset_upload, right after parsing: see below
@styles_view(Perm.MANAGE_STYLES)
@require_POST
def dataset_upload(request, dataset_id):
    """Sign-in, role and the dataset are checked before the body is read (none of them reads
    it), and so is the Origin of a cross-site post: only an owner or admin uploading into their
    own workspace's dataset makes the server spool an upload. Uploads are spooled to temporary
    files, never memory; the CSRF token travels in the multipart body, so the full CSRF check
    runs right after parsing."""
    dataset = datasets.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
    if cross_origin(request):
        return render(request, "403.html", {"reason": _("Cross-site upload refused.")}, status=403)
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    try:
        request.FILES  # noqa: B018 - parse now, so over-limit uploads get a message, not a 400 page
    except (TooManyFilesSent, RequestDataTooBig):
        messages.error(request, dataset_ingest.too_many_files_message())
        return redirect("dataset_detail", dataset_id=dataset.pk)
    return _dataset_upload(request, dataset)


@csrf_protect
def _dataset_upload(request, dataset):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose at least one file."))
        return redirect("dataset_detail", dataset_id=dataset.pk)
    try:
        report = dataset_ingest.ingest_uploads(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=dataset.pk,
            files=form.cleaned_data["files"],
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        level = messages.WARNING if report.rejected or report.warnings else messages.SUCCESS
        near = len(report.warnings)
        counts = _("%(accepted)d accepted, %(rejected)d rejected (reasons below).") % {
            "accepted": report.accepted,
            "rejected": report.rejected,
        }
        duplicates = (
            ngettext(
                "%(count)d looks like a near-duplicate: review it below.",
                "%(count)d look like near-duplicates: review them below.",
                near,
            )
            % {"count": near}
            if near
            else ""
        )
        messages.add_message(
            request,
            level,
            " ".join(filter(None, [counts, duplicates])),
        )
    return redirect("dataset_detail", dataset_id=dataset.pk)


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def dataset_delete(request, dataset_id):
    try:
        gone = datasets.delete_dataset(
            tenant=request.tenant, actor=Actor.from_request(request), dataset_id=dataset_id
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
        return redirect("dataset_detail", dataset_id=dataset_id)
    drafts = gone["draft_finetunes"]
    messages.success(
        request,
        ngettext(
            "Dataset deleted with its %(count)d image.",
            "Dataset deleted with its %(count)d images.",
            gone["images"],
        )
        % {"count": gone["images"]}
        + (
            " "
            + ngettext(
                "%(count)d draft fine-tune was deleted too.",
                "%(count)d draft fine-tunes were deleted too.",
                drafts,
            )
            % {"count": drafts}
            if drafts
            else ""
        ),
    )
    return redirect("dataset_list")


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def dataset_image_delete(request, image_id):
    image = datasets.get_dataset_image(tenant=request.tenant, image_id=image_id)
    try:
        datasets.delete_dataset_image(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image.pk
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    else:
        messages.success(request, _("Removed %(name)s.") % {"name": image.original_name})
    return redirect("dataset_detail", dataset_id=image.dataset_id)


@styles_view(Perm.VIEW)
def dataset_image_file(request, image_id):
    return serve_dataset_image(
        DatasetImage.objects.for_tenant(request.tenant).filter(pk=image_id).first()
    )


@styles_view(Perm.MANAGE_STYLES)
@require_POST
def dataset_duplicate_resolve(request, pair_id):
    """'Keep both' dismisses the warning; 'drop this one' deletes that image of the pair."""
    pair = dataset_duplicates.get_pair(tenant=request.tenant, pair_id=pair_id)
    drop = request.POST.get("drop", "")
    try:
        dataset_duplicates.resolve_duplicate(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            pair_id=pair.pk,
            action="drop" if drop else request.POST.get("action", ""),
            drop=drop or None,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
    else:
        dropped = pair.image if str(pair.image_id) == drop else pair.other
        messages.success(
            request,
            _("Removed %(name)s.") % {"name": dropped.original_name}
            if drop
            else _("Kept both pictures."),
        )
    return redirect("dataset_detail", dataset_id=pair.dataset_id)
