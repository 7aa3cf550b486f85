"""API views for webhook endpoints and their deliveries: CRUD, delivery log, redeliver."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import CREATED_RANGE, LIST_NOTE, NewestFirst, choice, filter_created
from generation.api import schema_examples as ex
from generation.api.serializers import WebhookDeliverySerializer, WebhookEndpointSerializer
from generation.models import WebhookDelivery
from generation.models.webhooks import WEBHOOK_EVENTS, WebhookEndpoint
from generation.webhooks import delivery as webhooks
from tenants.actors import Actor
from tenants.permissions import HasScope


class WebhookListCreateView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "webhooks:write", "POST": "webhooks:write"}
    serializer_class = WebhookEndpointSerializer
    pagination_class = NewestFirst

    @extend_schema(
        summary="List webhook endpoints",
        description="Endpoints that receive signed (Standard Webhooks) event POSTs." + LIST_NOTE,
        parameters=[OpenApiParameter("is_active", bool), *CREATED_RANGE],
        examples=[ex.WEBHOOK_ENDPOINT],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = WebhookEndpoint.objects.for_tenant(self.request.tenant)
        params = self.request.query_params
        if active := choice(params, "is_active", ["true", "false"]):
            qs = qs.filter(is_active=active == "true")
        return filter_created(qs, params)

    @extend_schema(
        summary="Create a webhook endpoint",
        description="`events` empty means every event. The response includes the signing"
        " `secret` (verify `webhook-signature` with it).",
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointSerializer},
        examples=[ex.WEBHOOK_CREATE_REQUEST, ex.WEBHOOK_ENDPOINT],
    )
    def post(self, request):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.create_endpoint(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            url=serializer.validated_data["url"],
            events=serializer.validated_data.get("events"),
            description=serializer.validated_data.get("description", ""),
        )
        return Response(WebhookEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"*": "webhooks:write"}

    @extend_schema(
        summary="Get a webhook endpoint",
        responses=WebhookEndpointSerializer,
        examples=[ex.WEBHOOK_ENDPOINT],
    )
    def get(self, request, endpoint_id):
        endpoint = webhooks.get_endpoint(tenant=request.tenant, endpoint_id=endpoint_id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Update a webhook endpoint",
        request=WebhookEndpointSerializer,
        responses=WebhookEndpointSerializer,
        examples=[ex.WEBHOOK_UPDATE_REQUEST, ex.WEBHOOK_ENDPOINT],
    )
    def patch(self, request, endpoint_id):
        serializer = WebhookEndpointSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.update_endpoint(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            endpoint_id=endpoint_id,
            **serializer.validated_data,
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(summary="Delete a webhook endpoint", responses={204: None})
    def delete(self, request, endpoint_id):
        webhooks.delete_endpoint(
            tenant=request.tenant, actor=Actor.from_request(request), endpoint_id=endpoint_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "webhooks:write"}
    serializer_class = WebhookDeliverySerializer
    pagination_class = NewestFirst

    @extend_schema(
        summary="List an endpoint's deliveries",
        description="Every attempt to deliver an event to this endpoint." + LIST_NOTE,
        parameters=[
            OpenApiParameter("status", enum=WebhookDelivery.Status.values),
            OpenApiParameter("event_type", enum=WEBHOOK_EVENTS),
            *CREATED_RANGE,
        ],
        examples=[ex.WEBHOOK_DELIVERY],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        endpoint = webhooks.get_endpoint(
            tenant=self.request.tenant, endpoint_id=self.kwargs["endpoint_id"]
        )
        qs = WebhookDelivery.objects.for_tenant(self.request.tenant).filter(endpoint=endpoint)
        params = self.request.query_params
        if delivery_status := choice(params, "status", WebhookDelivery.Status.values):
            qs = qs.filter(status=delivery_status)
        if event_type := choice(params, "event_type", WEBHOOK_EVENTS):
            qs = qs.filter(event_type=event_type)
        return filter_created(qs, params)


class WebhookRedeliverView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "webhooks:write"}

    @extend_schema(
        summary="Redeliver an event",
        description="Queue the same message (same `webhook-id`) to be sent again.",
        request=None,
        responses={202: WebhookDeliverySerializer},
        examples=[ex.WEBHOOK_REDELIVERY],
    )
    def post(self, request, delivery_id):
        delivery = webhooks.redeliver(
            tenant=request.tenant, actor=Actor.from_request(request), delivery_id=delivery_id
        )
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
