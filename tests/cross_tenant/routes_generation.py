"""Jobs, images, files and webhooks: made directly as rows (no rendering needed)."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generation.models import (
    GeneratedImage,
    GenerationJob,
    ImageFile,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.cross_tenant.registry import Route, exempt, register


def _job(tenant, status="succeeded"):
    return GenerationJob.objects.create(
        tenant=tenant,
        description="a robot",
        prompt="a robot",
        engine="vector",
        n=1,
        seeds=[1],
        size=64,
        status=status,
        attributes={"subject": "robot"},
    )


def _image(tenant):
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (64, 64), "blue").save(buf, format="PNG")
    name = default_storage.save(f"tenants/{tenant.pk}/images/x.png", ContentFile(buf.getvalue()))
    job = _job(tenant)
    image = GeneratedImage.objects.create(
        tenant=tenant,
        job=job,
        index=0,
        seed=1,
        engine="vector",
        original=name,
        metadata={"seed": 1, "batch_seeds": [1], "batch_index": 0},
    )
    ImageFile.objects.create(
        tenant=tenant, image=image, size=64, format="png", content_type="image/png", file=name
    )
    return image


def _endpoint(tenant):
    return WebhookEndpoint.objects.create(
        tenant=tenant, url="https://example.com/h", secret="whsec_AAAA"
    )


def _delivery(tenant):
    endpoint = _endpoint(tenant)
    return WebhookDelivery.objects.create(
        tenant=tenant,
        endpoint=endpoint,
        event_type="job.succeeded",
        message_id="msg_1",
        payload={},
        status="failed",
    )


job = lambda t: {"job_id": _job(t).pk}  # noqa: E731
queued_job = lambda t: {"job_id": _job(t, status="queued").pk}  # noqa: E731
image = lambda t: {"image_id": _image(t).pk}  # noqa: E731
file = lambda t: {"file_id": _image(t).files.first().pk}  # noqa: E731
endpoint = lambda t: {"endpoint_id": _endpoint(t).pk}  # noqa: E731
delivery = lambda t: {"delivery_id": _delivery(t).pk}  # noqa: E731

register(Route("api_job_detail", job, kind="api"))
register(Route("api_job_cancel", queued_job, method="post", kind="api"))
register(Route("api_job_images", job, kind="api"))
register(Route("api_job_events", job, kind="api"))  # finished job: one event, closed
register(Route("api_image_rerender", image, method="post", kind="api"))
register(Route("api_image_select", image, method="post", kind="api"))
register(Route("api_file_download", file, kind="api"))
register(Route("api_webhook_detail", endpoint, kind="api"))
register(
    Route("api_webhook_detail", endpoint, method="patch", kind="api", data={"description": "x"})
)
register(Route("api_webhook_detail", endpoint, method="delete", kind="api"))
register(Route("api_webhook_deliveries", endpoint, kind="api"))
register(Route("api_webhook_redeliver", delivery, method="post", kind="api"))

register(Route("job_detail", job))
register(Route("job_status", job))
register(Route("job_cancel", queued_job, method="post"))
register(Route("image_select", image, method="post"))
register(Route("image_rerender", image, method="post"))
register(Route("image_pack", image))
register(Route("file_download", file))

exempt("admin_image_file", "staff-only admin view; see test_admin_file_view_is_staff_only")
exempt(
    "admin_dataset_image", "staff-only admin view; see test_finetune_review_files_are_staff_only"
)
exempt(
    "admin_finetune_validation",
    "staff-only admin view; see test_finetune_review_files_are_staff_only",
)

register(
    Route(
        "api_image_feedback",
        image,
        method="post",
        kind="api",
        data={"vote": "up"},
        ok_statuses=(200,),
    )
)
register(Route("image_feedback", image, method="post", data={"vote": "up"}, ok_statuses=(302,)))
exempt(
    "signed_file",
    "no session or key: the signature (name + expiry) is the grant; see "
    "tests/generation/web/test_signed_files.py (foreign, unsigned, tampered, expired: 403)",
)
