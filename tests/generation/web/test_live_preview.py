"""The generate page's live preview (issue 15, section 7): the sketch endpoint (the real vector
engine, the caller's own preset, cached per tenant, throttled per workspace) and the
no-JavaScript path, where Preview / Undo / Redo post the form and the page comes back with
what was understood, a sketch and the edit history."""

import base64
import io
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from PIL import Image

from generation.jobs.sketch import SKETCH_SIZE, SketchRequest, sketch_cache_key
from generation.models import GenerationJob
from generation.web.attribute_history import MAX_FIELD_CHARS, AttributeHistory
from styles.models import StylePreset
from tests.dashboard.test_pages import INLINE
from tests.factories import make_member, owner_of

pytestmark = pytest.mark.django_db

SKETCH = reverse("generate_sketch")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _brand_preset(tenant, palette=("#ff0000", "#00ff00")):
    return StylePreset.objects.create(
        tenant=tenant, slug=f"brand-{tenant.pk.hex[:6]}", name="Brand", palette=list(palette)
    )


def _png(response) -> Image.Image:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


# --- the sketch endpoint ----------------------------------------------------------------------


def test_sketch_is_a_vector_drawing_that_follows_the_words_and_the_edits(owner_client):
    blue = _png(owner_client.post(SKETCH, {"description": "a blue robot"}))
    assert blue.size == (SKETCH_SIZE, SKETCH_SIZE)
    green = _png(owner_client.post(SKETCH, {"description": "a blue robot", "attr_colors": "green"}))
    cat = _png(owner_client.post(SKETCH, {"description": "an orange cat"}))
    assert blue.tobytes() != green.tobytes() != cat.tobytes()
    again = owner_client.post(SKETCH, {"description": "a blue robot"})
    assert again["X-Sketch-Cache"] == "hit" and _png(again).tobytes() == blue.tobytes()


def test_sketch_uses_the_callers_own_preset_and_404s_another_tenants(
    owner_client, tenant, other_tenant
):
    own = _brand_preset(tenant)
    url = reverse("generate_preset_sketch", args=[own.pk])
    branded = _png(owner_client.post(url, {"description": "a robot"}))
    plain = _png(owner_client.post(SKETCH, {"description": "a robot"}))
    assert branded.tobytes() != plain.tobytes()  # the palette reached the engine

    foreign = _brand_preset(other_tenant)
    response = owner_client.post(
        reverse("generate_preset_sketch", args=[foreign.pk]), {"description": "a robot"}
    )
    assert response.status_code == 404
    assert response["Content-Type"] != "image/png"


@pytest.mark.parametrize(
    "data,field",
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 1001}, "description"),
        ({"description": "a robot", "attr_colors": "x" * 200}, "attributes.colors"),
        ({"description": "a robot", "attr_wings": "big"}, "attributes"),
    ],
)
def test_bad_sketch_input_is_a_400_naming_the_field(owner_client, data, field):
    response = owner_client.post(SKETCH, data)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_sketch_needs_post_and_the_generate_permission(tenant):
    viewer = Client()
    viewer.force_login(make_member(tenant, role="viewer"))
    assert viewer.post(SKETCH, {"description": "a robot"}).status_code == 403
    owner = Client()
    owner.force_login(owner_of(tenant))
    assert owner.get(SKETCH).status_code == 405


def test_sketch_cache_key_carries_the_tenant(owner_client, tenant, other_tenant):
    request = SketchRequest("a blue robot")
    key_a = sketch_cache_key(tenant, request, None)
    key_b = sketch_cache_key(other_tenant, request, None)
    assert key_a.startswith(f"sketch:{tenant.pk}:")
    assert key_b.startswith(f"sketch:{other_tenant.pk}:")
    assert key_a != key_b

    assert owner_client.post(SKETCH, {"description": "a blue robot"})["X-Sketch-Cache"] == "miss"
    assert cache.get(key_a) is not None and cache.get(key_b) is None
    other = Client()
    other.force_login(owner_of(other_tenant))
    # The same words in another workspace are rendered for it, never served from A's entry.
    assert other.post(SKETCH, {"description": "a blue robot"})["X-Sketch-Cache"] == "miss"


def test_an_edited_preset_retires_its_cached_sketches(owner_client, tenant):
    preset = _brand_preset(tenant)
    url = reverse("generate_preset_sketch", args=[preset.pk])
    first = _png(owner_client.post(url, {"description": "a robot"}))
    preset.palette = ["#0000ff"]
    preset.save()
    response = owner_client.post(url, {"description": "a robot"})
    assert response["X-Sketch-Cache"] == "miss"
    assert _png(response).tobytes() != first.tobytes()


def test_renders_are_throttled_per_workspace_but_cached_sketches_are_free(owner_client, settings):
    settings.AVATARSAAS_SKETCH_RENDERS_PER_MINUTE = 2
    assert owner_client.post(SKETCH, {"description": "a robot"}).status_code == 200
    assert owner_client.post(SKETCH, {"description": "a cat"}).status_code == 200
    refused = owner_client.post(SKETCH, {"description": "a fox"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "throttled"
    assert owner_client.post(SKETCH, {"description": "a robot"}).status_code == 200


# --- the page without JavaScript ----------------------------------------------------------


def _form(**extra):
    return {"description": "a friendly blue robot with a zorblax", "n": "1", "engine": "vector",
            **extra}  # fmt: skip


def _chips(response) -> dict[str, str]:
    html = response.content.decode()
    return dict(re.findall(r'<input name="attr_(\w+)" value="([^"]*)"', html))


def _history(response) -> str:
    return response.context["history"].to_field()


def test_preview_button_renders_what_was_understood_and_a_sketch(owner_client, tenant):
    response = owner_client.post(reverse("generate"), _form(action="preview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert _chips(response)["subject"] == "robot"
    assert _chips(response)["colors"] == "blue"
    assert "zorblax (not in the lexicon" in html  # not understood, with the reason
    assert "← your words" in html  # where the prompt part came from
    src = re.search(r'<img id="sketch"[^>]* src="data:image/png;base64,([^"]+)"', html).group(1)
    sketch = Image.open(io.BytesIO(base64.b64decode(src)))
    assert sketch.size == (SKETCH_SIZE, SKETCH_SIZE)
    assert 'alt="Vector sketch: robot' in html
    assert 'role="region" aria-label="Preview"' in html
    status = re.search(r'<p id="preview-status"[^>]*aria-live="polite">([^<]*)</p>', html)
    assert "subject robot" in status.group(1) and "Not understood: zorblax" in status.group(1)
    assert "Cost: 1 credit (vector engine)" in html
    assert not INLINE.findall(html)  # the data: image is an attribute, not inline code
    assert not GenerationJob.objects.for_tenant(tenant).exists()


def test_a_plain_get_shows_no_preview_and_nothing_to_undo(owner_client):
    html = owner_client.get(reverse("generate")).content.decode()
    assert re.search(r'<div id="parse-preview"[^>]* hidden>', html)
    assert not re.search(r'<img id="sketch"[^>]* src=', html)
    assert re.search(r'id="undo-button"[^>]*disabled', html)
    assert re.search(r'id="redo-button"[^>]*disabled', html)


def test_edit_undo_redo_then_generate_without_javascript(owner_client, tenant):
    url = reverse("generate")
    first = owner_client.post(url, _form(action="preview"))
    # Change the colour chip and preview: one edit in the history.
    edited = owner_client.post(
        url,
        _form(action="preview", attr_history=_history(first), attr_colors="green",
              shown_colors="blue", attr_subject="robot", shown_subject="robot"),
    )  # fmt: skip
    assert _chips(edited)["colors"] == "green"
    assert re.search(r"colors <small>\(edited\)</small>", edited.content.decode())
    assert "subject <small>" not in edited.content.decode()
    assert edited.context["history"].can_undo and not edited.context["history"].can_redo
    assert "green robot" in edited.context["preview"]["prompt"]

    undone = owner_client.post(
        url,
        _form(action="undo", attr_history=_history(edited), attr_colors="green",
              shown_colors="green"),
    )  # fmt: skip
    assert _chips(undone)["colors"] == "blue"
    html = undone.content.decode()
    assert re.search(r'id="undo-button"[^>]*disabled', html)  # back at the parse
    assert not re.search(r'id="redo-button"[^>]*disabled', html)

    redone = owner_client.post(
        url,
        _form(action="redo", attr_history=_history(undone), attr_colors="blue",
              shown_colors="blue"),
    )  # fmt: skip
    assert _chips(redone)["colors"] == "green"
    assert not redone.context["history"].can_redo

    response = owner_client.post(
        url,
        _form(action="generate", attr_history=_history(redone), attr_colors="green",
              shown_colors="green", attr_subject="robot", shown_subject="robot"),
    )  # fmt: skip
    job = GenerationJob.objects.for_tenant(tenant).get()
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.attributes["colors"] == ["green"]
    assert "subject" in job.attributes  # chips the user left alone still come from the parse


def test_undo_after_an_edit_then_a_new_edit_clears_redo(owner_client):
    url = reverse("generate")
    h = AttributeHistory().edit({"colors": "green"}).undo()
    response = owner_client.post(
        url,
        _form(action="preview", attr_history=h.to_field(), attr_animal="fox", shown_animal=""),
    )
    history = response.context["history"]
    assert history.current == {"animal": "fox"} and not history.can_redo


@pytest.mark.parametrize(
    "history",
    ["{broken", '{"states": [{}], "at": 5}', "x" * (MAX_FIELD_CHARS + 1)],
)
@pytest.mark.parametrize("action", ["preview", "generate"])
def test_a_bad_or_oversized_history_is_a_400_naming_the_field(
    owner_client, tenant, history, action
):
    response = owner_client.post(reverse("generate"), _form(action=action, attr_history=history))
    assert response.status_code == 400
    assert "attr_history:" in response.content.decode()
    assert not GenerationJob.objects.for_tenant(tenant).exists()


def test_preview_with_another_tenants_preset_answers_404(owner_client, other_tenant):
    foreign = _brand_preset(other_tenant)
    response = owner_client.post(
        reverse("generate"), _form(action="preview", preset=str(foreign.pk))
    )
    assert response.status_code == 404


def test_preview_with_the_callers_preset_uses_it(owner_client, tenant):
    own = _brand_preset(tenant)
    plain = owner_client.post(reverse("generate"), _form(action="preview"))
    branded = owner_client.post(reverse("generate"), _form(action="preview", preset=str(own.pk)))
    assert branded.status_code == 200
    assert branded.context["preview"]["sketch_src"] != plain.context["preview"]["sketch_src"]


def test_preview_of_an_empty_description_says_what_to_do(owner_client):
    response = owner_client.post(reverse("generate"), _form(action="preview", description=""))
    assert response.status_code == 200
    assert "Describe your bot to preview it." in response.content.decode()


def test_a_refused_generate_keeps_the_edits_and_what_was_understood(owner_client, tenant):
    history = AttributeHistory().edit({"colors": "green"}).to_field()
    response = owner_client.post(
        reverse("generate"), _form(action="generate", attr_history=history, n="99")
    )
    assert response.status_code == 200 and response.context["form"].errors["n"]
    assert _chips(response)["colors"] == "green"
    assert response.context["history"].current == {"colors": ["green"]}
    assert not GenerationJob.objects.for_tenant(tenant).exists()
