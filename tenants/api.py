from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.permissions import ANY_SCOPE, HasScope


class TenantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    plan = serializers.CharField(source="plan_id")
    credit_balance = serializers.IntegerField()


class CurrentTenantView(APIView):
    """Who am I: the workspace behind this key or session, its plan and credit balance."""

    permission_classes = [HasScope]
    required_scopes = {"GET": ANY_SCOPE}  # introspection: tells a key its own tenant and scopes

    @extend_schema(
        summary="Who am I",
        description="The workspace behind this key, its plan and credit balance, and the key's"
        " prefix and scopes. Any valid key may call it (no scope needed): use it to check a key.",
        examples=[
            OpenApiExample(
                "An API key",
                value={
                    "tenant": {
                        "id": "0d6c5a4e-1f2b-4c3d-9e8f-7a6b5c4d3e2f",
                        "name": "Acme Bots",
                        "slug": "acme-bots",
                        "plan": "pro",
                        "credit_balance": 1840,
                    },
                    "api_key": {"prefix": "3f9a1c2b", "scopes": ["jobs:read", "jobs:write"]},
                },
                response_only=True,
            )
        ],
        responses=inline_serializer(
            "Me",
            {
                "tenant": TenantSerializer(),
                "api_key": inline_serializer(
                    "KeyInfo",
                    {
                        "prefix": serializers.CharField(),
                        "scopes": serializers.ListField(child=serializers.CharField()),
                    },
                    allow_null=True,
                ),
            },
        ),
    )
    def get(self, request):
        key = getattr(request, "api_key", None)
        return Response(
            {
                "tenant": TenantSerializer(request.tenant).data,
                "api_key": {"prefix": key.prefix, "scopes": key.scopes} if key else None,
            }
        )
