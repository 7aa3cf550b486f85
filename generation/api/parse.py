"""API view previewing a description: parsed attributes, prompt and cost quote."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_schema import domain_errors
from generation.api import schema_examples as ex
from generation.api.serializers import ParseResultSerializer, ParseSerializer
from generation.jobs.submit import JobRequest, quote_job
from tenants.actors import Actor
from tenants.permissions import HasScope


class ParseView(APIView):
    """Preview: description -> attributes (with trigger words and what was not understood),
    the composed prompt, and the cost quote. Creates nothing."""

    permission_classes = [HasScope]
    required_scopes = {"POST": "jobs:read"}

    @extend_schema(
        summary="Preview a description",
        description="Parse a description (English or Chinese) into attributes, compose the"
        " prompt and quote the cost. Creates nothing and spends nothing.",
        request=ParseSerializer,
        responses=ParseResultSerializer,
        examples=[ex.PARSE_REQUEST, ex.PARSE_RESPONSE],
        extensions=domain_errors(404),
    )
    def post(self, request):
        serializer = ParseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = quote_job(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            request=JobRequest(
                description=data["description"],
                preset_id=str(data["preset"]) if data.get("preset") else None,
                attributes=data.get("attributes") or {},
                engine=data.get("engine"),
                n=data.get("n", 4),
                size=data.get("size"),
                steps=data.get("steps"),
                speed=data.get("speed") or "standard",
            ),
        )
        d = quote.described
        return Response(
            {
                "attributes": d.attributes,
                "parsed_attributes": d.parsed_attributes,
                "matches": d.matches,
                "unknown_words": d.unknown_words,
                "not_understood": d.not_understood,
                "prompt": d.prompt,
                "prompt_parts": d.prompt_parts,
                "prompt_cut": d.cut,
                "refiner": d.refiner,
                "negative_prompt": d.negative_prompt,
                "engine": quote.engine,
                "cost_credits": quote.cost,
                "balance": request.tenant.credit_balance,
            }
        )
