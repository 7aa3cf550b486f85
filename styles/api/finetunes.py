"""API views for fine-tunes: list, create a draft, get, submit for review, cancel."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LIST_NOTE, NewestFirst
from core.api_schema import domain_errors
from styles import selectors
from styles.api import examples as ex
from styles.api.scopes import READ, TRAIN
from styles.api.serializers import FineTuneCreateSerializer, FineTuneSerializer
from styles.services import finetunes
from tenants.actors import Actor
from tenants.permissions import HasScope


class FineTuneListCreateView(generics.ListAPIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ, "POST": TRAIN}
    serializer_class = FineTuneSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.finetunes_for(self.request.tenant)

    @extend_schema(
        summary="List fine-tunes",
        description="Newest first." + LIST_NOTE,
        examples=[ex.FINETUNE_RESPONSE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a fine-tune draft",
        description="Validates hyperparameters and quotes `cost_credits`; submit it to reserve"
        " the credits and ask for staff review.",
        request=FineTuneCreateSerializer,
        responses={201: FineTuneSerializer},
        examples=[ex.FINETUNE_CREATE, ex.FINETUNE_RESPONSE],
        extensions=domain_errors(404),
    )
    def post(self, request):
        serializer = FineTuneCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ft = finetunes.create_finetune(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            dataset_id=data.pop("dataset"),
            preset_id=data.pop("preset", None),
            **data,
        )
        return Response(FineTuneSerializer(ft).data, status=status.HTTP_201_CREATED)


class FineTuneDetailView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": READ}

    @extend_schema(
        summary="Get a fine-tune",
        description="State, progress, loss curve, ETA, validation grid and the adapter.",
        responses=FineTuneSerializer,
        examples=[ex.FINETUNE_RESPONSE],
    )
    def get(self, request, finetune_id):
        ft = finetunes.get_finetune(tenant=request.tenant, finetune_id=finetune_id)
        return Response(FineTuneSerializer(ft).data)


class FineTuneSubmitView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": TRAIN}

    @extend_schema(
        summary="Submit a fine-tune for review",
        description="Reserves the quoted credits (released on reject/cancel/failure).",
        request=None,
        responses=FineTuneSerializer,
        examples=[ex.FINETUNE_RESPONSE],
        extensions=domain_errors(402, 409),
    )
    def post(self, request, finetune_id):
        ft = finetunes.submit_finetune(
            tenant=request.tenant, actor=Actor.from_request(request), finetune_id=finetune_id
        )
        return Response(FineTuneSerializer(ft).data)


class FineTuneCancelView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": TRAIN}

    @extend_schema(
        summary="Cancel a fine-tune",
        request=None,
        responses=FineTuneSerializer,
        examples=[ex.FINETUNE_RESPONSE],
        extensions=domain_errors(409),
    )
    def post(self, request, finetune_id):
        ft = finetunes.cancel_finetune(
            tenant=request.tenant, actor=Actor.from_request(request), finetune_id=finetune_id
        )
        return Response(FineTuneSerializer(ft).data)
