"""Property tests (Hypothesis) for the field validators: whatever string they get, they
answer with a value or a ValidationError, never another exception; the email normal
form is stable and is what lookups compare."""

import os
import string
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from users.models import User
from users.validators import (
    _is_default_ignorable,
    email_lookup_key,
    normalize_email,
    validate_http_url,
    validate_image_extension,
    validate_nickname,
)

NICKNAME_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
# HARDENING_EXAMPLES=5000 for a longer search; 300 keeps `make test` quick.
EXAMPLES = int(os.environ.get("HARDENING_EXAMPLES", "300"))
PROPERTY_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that break parsers: brackets, percent signs, controls, invisible and
# confusable letters, combining marks, surrogate-free astral characters.
HOSTILE = st.sampled_from(
    [
        *"[]@:/?#%\\\"' <>.-_\x00\t\n\r",
        *("\u200b", "\u00ad", "\u200d", "\ufeff", "\u0430", "\u043e", "\u03b1", "\u0308", "\uff45", "\u2024"),
        "\U0001f600",
    ]
)
hostile_text = st.lists(st.one_of(HOSTILE, st.characters(codec="utf-8")), max_size=60).map("".join)
label_chars = st.one_of(st.sampled_from(string.ascii_letters + string.digits + "-"), HOSTILE)
labels = st.text(alphabet=label_chars, min_size=1, max_size=20)
domains = st.lists(labels, min_size=1, max_size=4).map(".".join)
local_parts = st.one_of(st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True), hostile_text)
emails = st.one_of(st.emails(), st.builds("{}@{}".format, local_parts, domains), hostile_text)
urls = st.one_of(
    st.builds(
        lambda scheme, host, path: f"{scheme}://{host}/{path}",
        st.sampled_from(["http", "https", "ftp", "HTTP", "javascript", ""]),
        st.one_of(domains, st.builds(lambda h: f"[{h}", hostile_text), st.builds(lambda h: f"[{h}]", hostile_text)),
        st.one_of(hostile_text, st.sampled_from(["a.png", "a.JPG", "x/y.webp"])),
    ),
    hostile_text,
)


REFUSED = object()


def outcome(validator, value):
    """The validator's result, or REFUSED for a ValidationError; any other exception fails the test."""
    try:
        return validator(value)
    except ValidationError as exc:
        assert exc.messages and all(isinstance(message, str) and message for message in exc.messages)
        return REFUSED


@PROPERTY_SETTINGS
@given(emails)
@example("a@exam\u200bple.com")
@example("a@ex\u0430mple.com")
@example("a@xn--")
@example("a@xn--zz.com")
@example("a@" + "b" * 300 + ".com")
@example('"a\x01"@example.com')
def test_normalize_email_raises_only_validation_error(value):
    outcome(normalize_email, value)


@PROPERTY_SETTINGS
@given(emails)
def test_email_normal_form_is_stable_valid_and_visible(value):
    normal = outcome(normalize_email, value)
    if normal is REFUSED:
        return
    assert normalize_email(normal) == normal  # idempotent
    validate_email(normal)
    domain = normal.rpartition("@")[2]
    assert domain.isascii() and domain == domain.lower()
    assert unicodedata.normalize("NFKC", normal) == normal
    assert not any(_is_default_ignorable(char) for char in normal)
    assert email_lookup_key(value) == email_lookup_key(normal) == normal.lower()


@PROPERTY_SETTINGS
@given(st.emails())
@example("0@A.XN--QCKA1PMC")  # found by Hypothesis: グーグル, whose "ー" is Common, not a second script
def test_ordinary_addresses_keep_their_meaning(value):
    """Plain ASCII addresses that Django accepts are accepted, only the domain's case changes."""
    try:
        validate_email(value)
    except ValidationError:
        return
    local, _, domain = value.rpartition("@")
    assert normalize_email(value) == f"{local}@{domain.lower()}"


@PROPERTY_SETTINGS
@given(st.one_of(st.emails(), hostile_text), st.sampled_from(["\u200b", "\u00ad", "\u2060", "\ufeff"]), st.data())
def test_an_invisible_character_anywhere_is_refused(value, invisible, data):
    position = data.draw(st.integers(0, len(value)))
    assert outcome(normalize_email, value[:position] + invisible + value[position:]) is REFUSED


@PROPERTY_SETTINGS
@given(urls)
@example("http://[::1/a.png")
@example("http://[::1]]/a.png")
@example("https://[v1.x]/a.png")
@example("http://\u0000/a.png")
def test_url_validators_raise_only_validation_error(value):
    outcome(validate_http_url, value)
    outcome(validate_image_extension, value)


@PROPERTY_SETTINGS
@given(st.one_of(hostile_text, st.from_regex(r"[A-Za-z0-9_-]{3,50}", fullmatch=True)))
def test_nickname_validator_raises_only_validation_error(value):
    allowed = 3 <= len(value) <= 50 and all(char in NICKNAME_CHARS for char in value)
    assert (outcome(validate_nickname, value) is not REFUSED) == allowed


def test_the_image_url_that_used_to_500_is_refused():
    assert outcome(validate_image_extension, "http://[::1/a.png") is REFUSED


@pytest.mark.django_db
@settings(
    max_examples=EXAMPLES // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(email=emails, picture=urls, linkedin=urls, nickname=st.one_of(hostile_text, st.just("fine_nick")))
def test_full_clean_raises_only_validation_error(email, picture, linkedin, nickname):
    """The model's own rules (what the admin and every service run) on hostile profiles."""
    user = User(
        email=email, nickname=nickname, profile_picture_url=picture, linkedin_profile_url=linkedin, password="x"
    )
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        assert set(exc.message_dict) <= {"email", "nickname", "profile_picture_url", "linkedin_profile_url"}
