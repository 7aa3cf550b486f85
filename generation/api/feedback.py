"""API view for feedback on a candidate: thumbs up, thumbs down, or withdraw the vote."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from generation.api import schema_examples as ex
from generation.api.serializers import FeedbackResultSerializer, FeedbackSerializer
from generation.quality.feedback import vote_image
from tenants.actors import Actor
from tenants.permissions import HasScope


class ImageFeedbackView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:write"}

    @extend_schema(
        summary="Vote on an image",
        description="Thumbs up or down on one candidate (one vote per API key or member; a new"
        " vote replaces it, null withdraws it). Votes, picks and downloads teach the workspace's"
        " ranker and feed its satisfaction measure.",
        request=FeedbackSerializer,
        responses=FeedbackResultSerializer,
        examples=[ex.FEEDBACK_UP, ex.FEEDBACK_CLEAR, ex.FEEDBACK],
    )
    def post(self, request, image_id):
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = vote_image(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            image_id=image_id,
            vote=serializer.validated_data["vote"],
        )
        return Response(FeedbackResultSerializer(row).data)
