"""API view for the workspace's brand-kit policy (read-only for API keys)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from styles.api import examples as ex
from styles.api.scopes import READ
from styles.api.serializers import BrandKitSerializer
from styles.services import presets
from tenants.permissions import HasScope


class BrandKitView(APIView):
    """The workspace's brand-kit policy, read-only here: it restrains API keys, so a key must not
    be able to lift it; owners and admins change it in the dashboard."""

    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Get the brand-kit policy",
        description="With `locked_presets_only: true`, API keys (and members) may only generate "
        "through locked presets; other submissions answer 403 `brand_lock` on `preset`. Owners "
        "and admins change this in the dashboard (Presets → Brand kit).",
        responses=BrandKitSerializer,
        examples=[ex.BRAND_KIT],
    )
    def get(self, request):
        return Response(BrandKitSerializer(presets.brand_kit_of(request.tenant)).data)
