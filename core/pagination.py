from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Subquery
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

# Bounds checked before anything reaches SQL (PostgreSQL's OFFSET is a bigint;
# a larger value used to be a 500). `limit` above the cap is capped, not refused.
MAX_SKIP = 2**31 - 1


class SkipLimitParams(serializers.Serializer):
    skip = serializers.IntegerField(min_value=0, max_value=MAX_SKIP, default=0)
    limit = serializers.IntegerField(min_value=1, default=10)


class SkipLimitPagination(BasePagination):
    """The earlier service's `?skip=&limit=` pages: `{items, total, page, size, links}`.

    `limit` is capped at USERS_PAGE_MAX_LIMIT; a negative `skip`, a `skip` past
    MAX_SKIP or a `limit` below 1 is a 400 naming the parameter.

    Two queries whatever the page size or depth: the total (the view's
    `count_rows(queryset)` when it has one — e.g. a maintained counter — else
    COUNT(*)), and the page as a *deferred join*: the ids of the page first,
    walking only the ordering index, then the full rows for those ids, in one
    statement (pages in the second half walk the index from the end). The
    queryset must be ordered by unique keys (a stable order).
    """

    def paginate_queryset(self, queryset, request, view=None):
        params = SkipLimitParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        self.skip = params.validated_data["skip"]
        self.limit = min(params.validated_data["limit"], settings.USERS_PAGE_MAX_LIMIT)
        self.request = request
        count_rows = getattr(view, "count_rows", None)
        self.total = count_rows(queryset) if count_rows else queryset.count()
        if self.skip >= self.total:
            return []
        return list(queryset.filter(pk__in=Subquery(self._page_ids(queryset))))

    def _page_ids(self, queryset):
        """The page's ids. A page in the second half walks the ordering index from
        the end instead (the total is known): `skip=900000` of 1,000,000 then
        steps over 100,000 index entries, not 900,000."""
        size = min(self.limit, self.total - self.skip)
        from_end = self.total - self.skip - size
        if from_end < self.skip:
            return queryset.reverse().values("pk")[from_end : from_end + size]
        return queryset.values("pk")[self.skip : self.skip + size]

    def _link(self, rel, skip):
        """The same list (filters and ordering kept) at another `skip`."""
        base = self.request.build_absolute_uri(self.request.path)
        kept = [(k, v) for k, values in self.request.query_params.lists() if k not in ("skip", "limit") for v in values]
        query = urlencode([("skip", skip), ("limit", self.limit), *kept])
        return {"rel": rel, "href": f"{base}?{query}", "method": "GET"}

    def get_links(self):
        last = ((self.total - 1) // self.limit) * self.limit if self.total else 0
        links = [self._link("self", self.skip), self._link("first", 0), self._link("last", last)]
        if self.skip + self.limit < self.total:
            links.append(self._link("next", self.skip + self.limit))
        if self.skip > 0:
            links.append(self._link("prev", max(self.skip - self.limit, 0)))
        return links

    def get_paginated_response(self, data):
        return Response(
            {
                "items": data,
                "total": self.total,
                "page": self.skip // self.limit + 1,
                "size": len(data),
                "links": self.get_links(),
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {
            "type": "object",
            "properties": {
                "rel": {"type": "string", "example": "next"},
                "href": {"type": "string", "format": "uri", "example": "http://localhost:8000/users/?skip=10&limit=10"},
                "method": {"type": "string", "example": "GET"},
            },
        }
        return {
            "type": "object",
            "required": ["items", "total", "page", "size", "links"],
            "properties": {
                "items": schema,
                "total": {"type": "integer", "example": 123},
                "page": {"type": "integer", "example": 1},
                "size": {"type": "integer", "example": 10},
                "links": {"type": "array", "items": link},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "skip",
                "in": "query",
                "required": False,
                "description": "Rows to skip (>= 0).",
                "schema": {"type": "integer", "minimum": 0, "default": 0},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Page size (>= 1, capped at {settings.USERS_PAGE_MAX_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "default": 10},
            },
        ]
