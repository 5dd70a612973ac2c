"""Request body parsers that refuse hostile bodies with a 4xx instead of a 500.

DRF's parsers read the raw request stream, which bypasses Django's
DATA_UPLOAD_MAX_MEMORY_SIZE; these read at most that many bytes (413 beyond it)
and the JSON one refuses nesting deeper than JSON_MAX_DEPTH (400) before the
standard library's recursive decoder can raise RecursionError.
"""

from io import BytesIO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json

JSON_MAX_DEPTH = 32


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


def read_limited(stream, parser_context=None) -> bytes:
    """The body, or 413 when it is longer than DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if stream is None:
        return b""
    if limit is None:
        return stream.read()
    request = (parser_context or {}).get("request")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        declared = 0
    if declared > limit:
        raise RequestTooLarge(f"Request body too large: at most {limit} bytes.")
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge(f"Request body too large: at most {limit} bytes.")
    return body


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when arrays/objects nest deeper than `limit` (brackets inside strings ignored)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a body size cap (413) and a nesting cap (400)."""

    max_depth = JSON_MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        body = read_limited(stream, parser_context)
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from None
        if (text.count("[") + text.count("{") > self.max_depth) and json_depth_exceeds(text, self.max_depth):
            raise ParseError(f"JSON parse error - nested deeper than {self.max_depth} levels.")
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class FormParser(parsers.FormParser):
    """URL-encoded forms (the OAuth2 password form) with the body size cap (413)."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_limited(stream, parser_context)
        try:
            return super().parse(BytesIO(body), media_type, parser_context)
        except TooManyFieldsSent:
            raise ParseError("Too many form fields.") from None


class MultiPartParser(parsers.MultiPartParser):
    """Django's multipart parser already enforces DATA_UPLOAD_MAX_MEMORY_SIZE on fields;
    its RequestDataTooBig becomes a 413 here instead of a bare 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig:
            raise RequestTooLarge() from None
        except TooManyFieldsSent:
            raise ParseError("Too many form fields.") from None
