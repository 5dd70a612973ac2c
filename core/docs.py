"""The one helper that documents an error response in the OpenAPI schema."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from .serializers import ErrorSerializer, ValidationErrorSerializer


def error_response(description: str, detail: str, serializer=None, **fields) -> OpenApiResponse:
    """An error answer with its example body `{"detail": detail, **fields}`.

    `serializer` defaults to `ErrorSerializer`, or `ValidationErrorSerializer`
    when the example names fields."""
    return OpenApiResponse(
        serializer or (ValidationErrorSerializer if fields else ErrorSerializer),
        description=description,
        examples=[OpenApiExample(description, value={"detail": detail, **fields}, response_only=True)],
    )


FILE_SUFFIXES = (".ics", ".csv")


def file_paths_without_trailing_slash(result, generator, request, public):
    """drf-spectacular postprocessing hook: `/events/{id}.ics/` is documented as `/events/{id}.ics`
    (every route answers both; a file's name reads better without the slash)."""
    result["paths"] = {
        (path[:-1] if path.endswith("/") and path[:-1].endswith(FILE_SUFFIXES) else path): item
        for path, item in result["paths"].items()
    }
    return result


class BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular documents a request body for PUT, PATCH and POST only; a DELETE whose
    body carries a proof (closing one's account: the password; removing a factor: the password
    and a code) is documented, and sent from Swagger UI, as a POST's would be."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"
