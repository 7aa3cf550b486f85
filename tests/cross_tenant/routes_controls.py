"""Control images, variations and region edits (issue 16): made directly as rows."""

from styles.models import PresetControlImage
from tests.cross_tenant.registry import Route, register
from tests.cross_tenant.routes_styles import _png, _preset


def _control(tenant):
    return PresetControlImage.objects.create(
        tenant=tenant,
        preset=_preset(tenant),
        file=_png(tenant, "controls"),
        control_type="silhouette",
    )


control = lambda t: {"control_id": _control(t).pk}  # noqa: E731
preset = lambda t: {"preset_id": _preset(t).pk}  # noqa: E731

register(Route("api_preset_control_images", preset, kind="api"))
register(Route("api_preset_control_images", preset, method="post", kind="api"))
register(Route("api_control_image_detail", control, kind="api"))
register(
    Route(
        "api_control_image_detail",
        control,
        method="patch",
        kind="api",
        data={"conditioning_scale": 0.5},
    )
)
register(Route("api_control_image_detail", control, method="delete", kind="api"))
register(Route("api_control_image_file", control, kind="api"))

register(Route("preset_control_add", preset, method="post"))
register(Route("control_image_file", control))
register(Route("control_image_delete", control, method="post"))


def _controlled_job(tenant):
    from tests.cross_tenant.routes_generation import _job

    job = _job(tenant)
    job.controls = [
        {
            "type": "canny",
            "scale": 1.0,
            "source": "upload",
            "map": _png(tenant, "controls"),
            "map_hash": "0" * 64,
        }
    ]
    job.save(update_fields=["controls"])
    return {"job_id": job.pk, "index": 0}


register(Route("job_control_map", _controlled_job))


def _image(tenant):
    from tests.cross_tenant.routes_generation import image

    return image(tenant)


register(Route("api_image_vary", _image, method="post", kind="api", data={"strength": 0.5}))
register(Route("image_vary", _image, method="post", data={"variation": "strong"}))
register(Route("api_image_edit", _image, method="post", kind="api", data={"prompt": "a hat"}))
register(Route("image_edit", _image))
register(Route("image_edit", _image, method="post", data={"prompt": "a hat"}))
