import pytest


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Every test writes files to its own media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture(autouse=True)
def _roomy_signup_throttle(settings):
    """The suite signs up many times from 127.0.0.1 and the counter lives in the shared cache
    (Redis in CI, across tests); the throttle's own tests lower the limit again."""
    settings.SIGNUP_THROTTLE_PER_IP = 10_000


@pytest.fixture(autouse=True)
def _default_language():
    """Code called outside a request (services in tests) speaks the default language, whatever
    a Chinese request earlier in this thread activated."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def tenant(db):
    from tests.factories import make_tenant

    return make_tenant("Acme Bots", credits_amount=500)


@pytest.fixture
def other_tenant(db):
    from tests.factories import make_tenant

    return make_tenant("Globex Mascots", credits_amount=500)


@pytest.fixture
def owner_client(client, tenant):
    from tests.factories import owner_of

    client.force_login(owner_of(tenant))
    return client


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Tiny random SD + CLIP weights on disk, built once per session, loaded by production code."""
    from generation.engines.tiny_models import build_tiny_models

    return build_tiny_models(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture
def use_tiny_models(settings, tiny_models):
    """Point the app at the tiny models (diffusion engine + CLIP scorer)."""
    from generation.engines import registry as engine_registry

    settings.AVATARSAAS_SD_MODEL = str(tiny_models.sd_model_dir)
    settings.AVATARSAAS_CLIP_ARCH = tiny_models.clip_arch
    settings.AVATARSAAS_CLIP_CHECKPOINT = str(tiny_models.clip_checkpoint)
    settings.AVATARSAAS_DEVICE = "cpu"
    settings.AVATARSAAS_CONTROLNET_MODELS = tiny_models.controlnet_dirs
    settings.AVATARSAAS_INPAINT_MODEL = ""  # region edits: the base model's inpainting path
    yield tiny_models
    engine_registry.reset()


@pytest.fixture
def no_models(settings):
    """The embedded default: no diffusion model, no CLIP (vector engine, unscored)."""
    from generation.engines import registry as engine_registry

    settings.AVATARSAAS_SD_MODEL = ""
    settings.AVATARSAAS_CLIP_CHECKPOINT = ""
    settings.AVATARSAAS_CONTROLNET_MODELS = {}
    yield
    engine_registry.reset()
