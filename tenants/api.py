from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.permissions import HasScope


class TenantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    plan = serializers.CharField(source="plan_id")
    credit_balance = serializers.IntegerField()


class CurrentTenantView(APIView):
    """Who am I: the workspace behind this key or session, its plan and credit balance."""

    permission_classes = [HasScope]

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "tenant": TenantSerializer(),
                "api_key": inline_serializer(
                    "KeyInfo",
                    {"prefix": serializers.CharField(), "scopes": serializers.ListField()},
                    allow_null=True,
                ),
            },
        )
    )
    def get(self, request):
        key = getattr(request, "api_key", None)
        return Response(
            {
                "tenant": TenantSerializer(request.tenant).data,
                "api_key": {"prefix": key.prefix, "scopes": key.scopes} if key else None,
            }
        )
