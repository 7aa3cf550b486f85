"""Dashboard pages for controlled and edited renders: a job's control maps, image-to-image
variations ("Vary (subtle)" / "Vary (strong)") and region edits painted on a canvas."""

from __future__ import annotations

from django.http import Http404

from core.errors import DomainError
from generation.file_responses import serve_stored_png
from generation.jobs.changes import get_job
from tenants.roles import Perm
from tenants.web import tenant_view


@tenant_view(Perm.VIEW)
def job_control_map(request, job_id, index: int):
    """The control map a job was conditioned on (as stored, at the job's size)."""
    try:
        job = get_job(tenant=request.tenant, job_id=job_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    if not 0 <= index < len(job.controls or []):
        raise Http404("No such control map.")
    return serve_stored_png(job.controls[index]["map"])
