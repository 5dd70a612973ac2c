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


FILE_SUFFIXES = (".ics", ".csv")


def file_paths_without_trailing_slash(result, generator, request, public):
    """drf-spectacular postprocessing hook: `/events/{id}.ics/` is documented as `/events/{id}.ics`
    (every route answers both; a file's name reads better without the slash)."""
    result["paths"] = {
        (path[:-1] if path.endswith("/") and path[:-1].endswith(FILE_SUFFIXES) else path): item
        for path, item in result["paths"].items()
    }
    return result
