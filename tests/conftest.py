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
