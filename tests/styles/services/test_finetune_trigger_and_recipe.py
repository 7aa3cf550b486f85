"""A fine-tune's trigger word matches its dataset's (checked at create and at submit), its
steps follow the dataset size unless set, and its recipe reaches the trainer."""

import pytest

from core.errors import InvalidInput
from core.training_recipe import TrainingRecipe
from generation.training.finetune_runner import train_config
from styles.models import LoraDataset
from styles.services import dataset_ingest, finetunes
from tenants.actors import Actor
from tests.factories import api_client_for, owner_of
from tests.styles.conftest import make_dataset, png_bytes, upload, zip_bytes

pytestmark = pytest.mark.django_db


def _create(tenant, dataset, **kwargs):
    return finetunes.create_finetune(
        tenant=tenant,
        actor=Actor(user=owner_of(tenant)),
        dataset_id=dataset.pk,
        name="Mascot",
        **kwargs,
    )


def test_a_trigger_other_than_the_datasets_is_refused_at_create(pro_tenant, small_images):
    dataset = make_dataset(pro_tenant, trigger="acmebot")
    with pytest.raises(InvalidInput) as err:
        _create(pro_tenant, dataset, trigger_word="otherbot")
    assert err.value.field == "trigger_word" and "acmebot" in err.value.message

    response = api_client_for(pro_tenant).post(
        "/api/v1/finetunes/",
        {"dataset": str(dataset.pk), "name": "x", "trigger_word": "otherbot"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "trigger_word"

    assert _create(pro_tenant, dataset, trigger_word="acmebot").trigger_word == "acmebot"
    assert _create(pro_tenant, dataset).trigger_word == "acmebot"  # taken from the dataset


def test_a_dataset_without_trigger_takes_the_finetunes_until_it_names_another(
    pro_tenant, small_images
):
    dataset = make_dataset(pro_tenant, trigger="")
    ft = _create(pro_tenant, dataset, trigger_word="globot")
    assert ft.trigger_word == "globot"
    LoraDataset.objects.filter(pk=dataset.pk).update(trigger_word="acmebot")
    with pytest.raises(InvalidInput) as err:
        finetunes.submit_finetune(
            tenant=pro_tenant, actor=Actor(user=owner_of(pro_tenant)), finetune_id=ft.pk
        )
    assert err.value.field == "trigger_word"
    ft.refresh_from_db()
    assert ft.state == "draft"
    LoraDataset.objects.filter(pk=dataset.pk).update(trigger_word="globot")
    submitted = finetunes.submit_finetune(
        tenant=pro_tenant, actor=Actor(user=owner_of(pro_tenant)), finetune_id=ft.pk
    )
    assert submitted.state == "submitted"


def test_steps_are_derived_from_the_dataset_and_again_at_submit(pro_tenant, small_images):
    dataset = make_dataset(pro_tenant, n=6)
    ft = _create(pro_tenant, dataset, batch_size=2, recipe={"epochs": 10})
    assert (ft.steps, ft.steps_derived) == (30, True)  # 10 passes x 6 images / 2
    quoted = ft.cost_credits
    dataset_ingest.ingest_uploads(
        tenant=pro_tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload("more.zip", zip_bytes({f"m{i}.png": png_bytes(100 + i) for i in range(4)}))],
    )
    ft = finetunes.submit_finetune(
        tenant=pro_tenant, actor=Actor(user=owner_of(pro_tenant)), finetune_id=ft.pk
    )
    ft.refresh_from_db()
    assert ft.steps == 50 and ft.cost_credits > quoted  # 10 images now

    fixed = _create(pro_tenant, dataset, steps=40)
    assert (fixed.steps, fixed.steps_derived) == (40, False)


def test_the_recipe_is_validated_stored_and_handed_to_the_trainer(pro_tenant, small_images):
    dataset = make_dataset(pro_tenant)
    with pytest.raises(InvalidInput) as err:
        _create(pro_tenant, dataset, recipe={"caption_dropout": 0.9})
    assert err.value.field == "recipe.caption_dropout"

    ft = _create(pro_tenant, dataset, recipe={"random_flip": True, "lr_schedule": "constant"})
    assert ft.recipe == TrainingRecipe(random_flip=True, lr_schedule="constant").to_dict()
    config = train_config(ft)
    assert config.recipe.random_flip and config.recipe.lr_schedule == "constant"
    assert config.trigger_word == "acmebot" and config.steps == ft.steps
    assert config.background == (255, 255, 255)
    assert any("mirrored at random" in line for line in ft.recipe_in_words)

    response = api_client_for(pro_tenant).post(
        "/api/v1/finetunes/",
        {"dataset": str(dataset.pk), "name": "x", "recipe": {"bucketing": "no"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "recipe.bucketing"


def test_the_presets_background_colour_is_what_transparency_trains_over(pro_tenant, small_images):
    from styles.models import StylePreset

    preset = StylePreset.objects.create(
        tenant=pro_tenant,
        slug="navy",
        name="Navy",
        default_attributes={"background_color": "#112233"},
    )
    ft = _create(pro_tenant, make_dataset(pro_tenant), preset_id=preset.pk)
    assert train_config(ft).background == (17, 34, 51)


def test_the_form_derives_steps_when_left_blank_and_the_page_says_so(
    owner_client, tenant, small_images
):
    from styles.models import FineTune

    dataset = make_dataset(tenant)
    form = owner_client.get(f"/finetunes/new/?dataset={dataset.pk}").content.decode()
    assert "leave blank to derive them from the dataset size" in form
    fields = {"rank": 4, "alpha": 4, "learning_rate": 0.0001, "resolution": 512, "batch_size": 4}
    response = owner_client.post(
        "/finetunes/new/", {"name": "Blank", "dataset": str(dataset.pk), "steps": "", **fields}
    )
    assert response.status_code == 302
    ft = FineTune.objects.get(tenant=tenant, name="Blank")
    assert (ft.steps, ft.steps_derived) == (300, True)
    page = owner_client.get(f"/finetunes/{ft.pk}/").content.decode()
    assert "300 steps, derived from the dataset size" in page
    assert "chosen by hand" not in page
    assert "images never mirrored" in page.lower()
