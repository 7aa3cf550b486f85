"""State packs (issue 17): made directly as rows, with one stored deliverable."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generation.models import StatePack
from tests.cross_tenant.registry import Route, register


def _pack(tenant):
    from tests.cross_tenant.routes_generation import _image, _job

    source = _image(tenant)
    job = _job(tenant)
    job.mode, job.parent_image = "statepack", source
    job.save(update_fields=["mode", "parent_image"])
    name = default_storage.save(f"tenants/{tenant.pk}/statepacks/x.zip", ContentFile(b"PK"))
    return StatePack.objects.create(
        tenant=tenant, job=job, source_image=source, states=["neutral"], files={"zip": name}
    )


def _image(tenant):
    from tests.cross_tenant.routes_generation import image

    return image(tenant)


pack = lambda t: {"pack_id": _pack(t).pk}  # noqa: E731
pack_zip = lambda t: {"pack_id": _pack(t).pk, "kind": "zip"}  # noqa: E731

register(Route("api_image_state_pack", _image, method="post", kind="api"))
register(Route("api_state_pack_detail", pack, kind="api"))
register(Route("api_state_pack_file", pack_zip, kind="api"))
register(Route("image_state_pack", _image, method="post"))
register(Route("state_pack_detail", pack))
register(Route("state_pack_file", pack_zip))
