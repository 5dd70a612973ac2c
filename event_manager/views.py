"""Project-level views: health check and JSON error pages outside DRF views."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

_HEALTH = inline_serializer("Health", {"status": serializers.CharField(), "database": serializers.CharField()})


class HealthView(APIView):
    """200 when the database answers, 503 when it does not."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["Health"],
        summary="Health check",
        responses={
            200: OpenApiResponse(_HEALTH, examples=[OpenApiExample("Up", {"status": "ok", "database": "ok"})]),
            503: OpenApiResponse(
                _HEALTH,
                examples=[OpenApiExample("Down", {"status": "unavailable", "database": "unreachable"})],
            ),
        },
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            return Response(
                {"status": "unavailable", "database": "unreachable", "detail": "Database unavailable."}, status=503
            )
        return Response({"status": "ok", "database": "ok"})


def _wants_html(request):
    return request.path.startswith("/admin/")


def not_found(request, exception=None):
    if _wants_html(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"detail": "Not found."}, status=404)


def bad_request(request, exception=None):
    if _wants_html(request):
        return defaults.bad_request(request, exception)
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    if _wants_html(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)


def server_error(request):
    if _wants_html(request):
        return defaults.server_error(request)
    return JsonResponse({"detail": "Internal server error."}, status=500)
