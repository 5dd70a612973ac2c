"""Field and password rules shared by the model, the admin and the API.

Every validator here raises only `ValidationError`, whatever string it is given:
what the standard library raises on hostile input (`ValueError` from `urlsplit`,
`UnicodeError` from IDNA) is turned into a message naming the rule.
"""

import re
import unicodedata
from urllib.parse import urlsplit

import idna
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, RegexValidator, URLValidator

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")

validate_nickname = RegexValidator(
    regex=r"^[A-Za-z0-9_-]{3,50}\Z",
    message="Nickname must be 3-50 characters of letters, digits, '_' and '-'.",
    code="invalid_nickname",
)

validate_http_url = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


def validate_image_extension(value):
    """The URL's path ends in a common image extension."""
    message = "Image URL must end in " + ", ".join(IMAGE_EXTENSIONS) + "."
    try:
        path = urlsplit(value).path
    except (ValueError, TypeError):  # e.g. "http://[::1/a.png": an unclosed IPv6 bracket
        raise ValidationError(message, code="invalid_image_url") from None
    if not path.lower().endswith(IMAGE_EXTENSIONS):
        raise ValidationError(message, code="invalid_image_url")


# --- Email addresses: one mailbox, one account ---------------------------------

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15):
# zero-width spaces and joiners, soft hyphen, bidi controls, variation selectors, tags...
# Invisible, so `a@exam\u200bple.com` would look like (and be delivered as) a@example.com.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Scripts that UTS #39 ("highly restrictive") lets share one label with Latin.
_ALLOWED_SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "HALFWIDTH": "KATAKANA"}
# Letters whose name does not start with their script and that Unicode puts in Common:
# the prolonged sound mark of katakana and hiragana (U+30FC, in `グーグル`), modifier letters.
_COMMON_LETTER_PREFIXES = ("KATAKANA-HIRAGANA", "MODIFIER")

EMAIL_MAX_INPUT = 320  # RFC 5321 allows 254; anything longer is not an address
EMAIL_INVALID = "Enter a valid email address."
EMAIL_INVISIBLE = "Email address contains an invisible character (zero-width space, soft hyphen, ...)."
EMAIL_MIXED_SCRIPT = "Email domain mixes scripts in one label (e.g. a Cyrillic letter among Latin ones)."

_validate_email_syntax = EmailValidator(message=EMAIL_INVALID)


def _is_default_ignorable(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _DEFAULT_IGNORABLE)


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER A" -> CYRILLIC);
    None for digits, hyphens and combining marks (UTS #39's Common and Inherited)."""
    if not unicodedata.category(char).startswith("L"):
        return None
    word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    if word in _COMMON_LETTER_PREFIXES:
        return None
    return _SCRIPT_ALIASES.get(word, word)


def _check_label_scripts(label: str) -> None:
    scripts = {script for script in map(_script, label) if script}
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _ALLOWED_SCRIPT_MIXES):
        raise ValidationError(EMAIL_MIXED_SCRIPT, code="email_mixed_script")


def normalize_email(value) -> str:
    """The one canonical form of an address, used to store and to compare.

    NFKC, then: refuse invisible (default-ignorable) and control characters; the
    domain lower-cased and IDNA-encoded (`bücher.de` -> `xn--bcher-kva.de`, so both
    spellings are one account) after refusing any label that mixes scripts (UTS #39
    style: `p\u0430ypal.com` with a Cyrillic `\u0430`). The local part keeps its case
    (uniqueness is case-insensitive). Raises only ValidationError.
    """
    if not isinstance(value, str) or len(value) > EMAIL_MAX_INPUT:
        raise ValidationError(EMAIL_INVALID, code="invalid")
    if any(_is_default_ignorable(char) for char in value):
        raise ValidationError(EMAIL_INVISIBLE, code="email_invisible_character")
    value = unicodedata.normalize("NFKC", value.strip())
    if any(_is_default_ignorable(char) or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co") for char in value):
        raise ValidationError(EMAIL_INVISIBLE, code="email_invisible_character")
    local, at, domain = value.rpartition("@")
    if not (local and at and domain):
        raise ValidationError(EMAIL_INVALID, code="invalid")
    domain = domain.lower() if domain.isascii() else domain
    # Plain ASCII (or an address literal) is left to EmailValidator; anything else goes through IDNA.
    ascii_domain = domain if domain.isascii() and "xn--" not in domain else _idna_domain(domain)
    normalized = f"{local}@{ascii_domain}"
    _validate_email_syntax(normalized)
    return normalized


def _idna_domain(domain: str) -> str:
    """The A-label form of an internationalised domain, each label checked for mixed scripts."""
    try:
        unicode_domain = idna.decode(domain, uts46=True)
        for label in unicode_domain.split("."):
            _check_label_scripts(label)
        return idna.encode(unicode_domain, uts46=True).decode("ascii")
    except (UnicodeError, ValueError):  # idna.IDNAError is a UnicodeError
        raise ValidationError(EMAIL_INVALID, code="invalid") from None


def email_lookup_key(value) -> str | None:
    """What a stored email is compared with: the normalised form, lower-cased;
    None when `value` cannot be any account's address."""
    try:
        return normalize_email(value).lower()
    except ValidationError:
        return None


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
