"""Field and password rules shared by the model, the admin and the API."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")

validate_nickname = RegexValidator(
    regex=r"^[A-Za-z0-9_-]{3,50}\Z",
    message="Nickname must be 3-50 characters of letters, digits, '_' and '-'.",
    code="invalid_nickname",
)

validate_http_url = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


def validate_image_extension(value):
    """The URL's path ends in a common image extension."""
    if not urlsplit(value).path.lower().endswith(IMAGE_EXTENSIONS):
        raise ValidationError("Image URL must end in " + ", ".join(IMAGE_EXTENSIONS) + ".", code="invalid_image_url")


class PasswordComplexityValidator:
    """Require an upper-case letter, a lower-case letter, a digit and a special character."""

    rules = (
        (re.compile(r"[A-Z]"), "an upper-case letter"),
        (re.compile(r"[a-z]"), "a lower-case letter"),
        (re.compile(r"\d"), "a digit"),
        (re.compile(r"[^A-Za-z0-9]"), "a special character"),
    )

    def validate(self, password, user=None):
        missing = [label for pattern, label in self.rules if not pattern.search(password)]
        if missing:
            raise ValidationError(
                "Password must contain " + ", ".join(missing) + ".",
                code="password_too_simple",
            )

    def get_help_text(self):
        return "Your password must contain an upper-case letter, a lower-case letter, a digit and a special character."
