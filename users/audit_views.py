"""GET /audit: the audit trail over the API (ADMIN only)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_view

from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from core.api import GenericViewSet
from core.concurrency import call
from core.pagination import SkipLimitPagination

from . import account_docs as docs
from .account_serializers import AuditEventSerializer
from .permissions import IsAdmin


@extend_schema_view(list=docs.audit_list)
class AuditViewSet(GenericViewSet):
    """Newest first; filters on action, actor, target, dates; skip/limit pages."""

    queryset = AuditEvent.objects.select_related("target_type").order_by("-created_at", "-id")
    serializer_class = AuditEventSerializer
    permission_classes = [IsAdmin]
    pagination_class = SkipLimitPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilter

    def _page(self):
        return self.paginate_queryset(self.filter_queryset(self.get_queryset()))

    async def list(self, request):
        page = await call(self._page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
