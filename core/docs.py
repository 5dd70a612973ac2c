"""The one helper that documents an error response in the OpenAPI schema."""

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
