"""Dashboard feedback on a candidate: thumbs up / down (pressing the active one withdraws it)."""

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from generation.jobs.changes import get_image
from generation.quality.feedback import vote_image
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error, tenant_view


@tenant_view(Perm.GENERATE)
@require_POST
def image_feedback(request, image_id):
    try:
        image = get_image(tenant=request.tenant, image_id=image_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    try:
        vote_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            image_id=image.pk,
            vote=request.POST.get("vote") or None,
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    return redirect(f"{reverse('job_detail', args=[image.job_id])}#image-{image.pk}")
