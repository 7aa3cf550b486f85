"""Dashboard pages added for brand managers: gallery lineage, vary, preset thumbnails and the
webhook pages (the API twins live in routes_generation.py)."""

from styles.models import StylePreset
from tests.cross_tenant.registry import Route, register
from tests.cross_tenant.routes_generation import _delivery, delivery, endpoint, image, job


def _preset(tenant):
    preset = StylePreset.objects.create(
        tenant=tenant, slug=f"p-{tenant.pk.hex[:8]}", name="Brand", palette=["#112233"]
    )
    return {"preset_id": preset.pk}


def _delivery_of_endpoint(tenant):
    return {"endpoint_id": _delivery(tenant).endpoint_id}


register(Route("preset_thumbnail", _preset, ok_statuses=(200,)))
register(Route("job_vary", job, method="post", ok_statuses=(302,)))
register(Route("image_detail", image, ok_statuses=(200,)))
register(Route("webhook_detail", _delivery_of_endpoint, ok_statuses=(200,)))
register(
    Route(
        "webhook_detail",
        endpoint,
        method="post",
        data={"url": "https://example.com/new", "is_active": "on"},
        ok_statuses=(302,),
    )
)
register(Route("webhook_delete", endpoint, method="post", ok_statuses=(302,)))
register(Route("webhook_redeliver", delivery, method="post", ok_statuses=(302,)))
# The generate page's live sketch in a preset's style (issue 15 §7); the body carries the words.
register(
    Route(
        "generate_preset_sketch",
        _preset,
        method="post",
        data={"description": "a blue robot", "attr_colors": "green"},
        ok_statuses=(200,),
    )
)
