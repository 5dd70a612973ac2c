"""The schema documents exactly the responses the API gives.

Every status code /openapi.json documents for an operation is provoked here by a
real request, and the answer is checked against the documented body schema; an
operation documenting a code nothing here can provoke fails the completeness test.
"""

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from mfa import passkeys as mfa_passkeys
from mfa import services as mfa
from notifications.models import Notification
from tests.factories import PASSWORD, UserFactory
from tests.mfa.conftest import enrol, totp_code
from users.authentication import access_token_for
from users.tokens import email_verification_token

from .conftest import CHECKS

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
NEW_USER = {"email": "new.person@example.com", "password": "Brand*New9Pass"}
BIG = {"bio": "x" * 2000}
# Exercised where the dependency can really be taken down (tests/hardening/).
PROVOKED_ELSEWHERE = {("GET /health/", 503)}


class World:
    """Accounts the scenarios act on or as."""

    def __init__(self):
        self.admin = UserFactory(admin=True)
        self.manager = UserFactory(manager=True)
        self.member = UserFactory()
        self.locked = UserFactory(locked=True)
        self.unverified = UserFactory(unverified=True)

    def bearer(self, user):
        return {"Authorization": f"Bearer {access_token_for(user)}"}


def as_admin(world, **case):
    return {"headers": world.bearer(world.admin), **case}


def as_member(world, **case):
    return {"headers": world.bearer(world.member), **case}


def member_id(world):
    return {"id": str(world.member.pk)}


def verify_params(world, token=None):
    return {
        "user_id": str(world.unverified.pk),
        "token": token or email_verification_token.make_token(world.unverified),
    }


def login(email, password):
    return {"body": {"username": email, "password": password}, "media_type": "application/x-www-form-urlencoded"}


TEXT = {"body": "not json", "media_type": "text/plain"}

# (operation, status): the request that provokes it. `throttle` sends it twice at 1/min.
SCENARIOS = {
    ("POST /register/", 201): lambda w: {"body": NEW_USER},
    ("POST /register/", 400): lambda w: {"body": {**NEW_USER, "email": "not-an-email"}},
    ("POST /register/", 413): lambda w: {"body": {**NEW_USER, **BIG}},
    ("POST /register/", 415): lambda w: TEXT,
    ("POST /register/", 429): lambda w: {"body": {**NEW_USER, "email": "not-an-email"}, "throttle": True},
    ("POST /login/", 200): lambda w: login(w.member.email, PASSWORD),
    ("POST /login/", 400): lambda w: login(w.locked.email, PASSWORD),
    ("POST /login/", 401): lambda w: login(w.member.email, "Wrong*Pass1"),
    ("POST /login/", 413): lambda w: login(w.member.email, "x" * 2000),
    ("POST /login/", 415): lambda w: TEXT,
    ("POST /login/", 429): lambda w: {**login("nobody@example.com", "x"), "throttle": True},
    ("GET /verify-email/{user_id}/{token}/", 200): lambda w: {"path_parameters": verify_params(w)},
    ("GET /verify-email/{user_id}/{token}/", 400): lambda w: {"path_parameters": verify_params(w, "wrong-token")},
    ("GET /verify-email/{user_id}/{token}/", 404): lambda w: {"path_parameters": {"user_id": "x", "token": "y"}},
    ("GET /verify-email/{user_id}/{token}/", 429): lambda w: {"path_parameters": verify_params(w), "throttle": True},
    ("GET /users/", 200): lambda w: as_admin(w, query={"skip": 1, "limit": 2}),
    ("GET /users/", 400): lambda w: as_admin(w, query={"skip": -1, "limit": 0}),
    ("GET /users/", 401): lambda w: {},
    ("GET /users/", 403): lambda w: as_member(w),
    ("POST /users/", 201): lambda w: as_admin(w, body=NEW_USER),
    ("POST /users/", 400): lambda w: as_admin(w, body={**NEW_USER, "password": "weak"}),
    ("POST /users/", 401): lambda w: {"body": NEW_USER},
    ("POST /users/", 403): lambda w: as_member(w, body=NEW_USER),
    ("POST /users/", 413): lambda w: as_admin(w, body={**NEW_USER, **BIG}),
    ("POST /users/", 415): lambda w: as_admin(w, **TEXT),
    ("POST /users/", 429): lambda w: {"body": NEW_USER, "throttle": True},
    ("GET /users/{id}/", 200): lambda w: as_admin(w, path_parameters=member_id(w)),
    ("GET /users/{id}/", 401): lambda w: {"path_parameters": member_id(w)},
    ("GET /users/{id}/", 403): lambda w: as_member(w, path_parameters=member_id(w)),
    ("GET /users/{id}/", 404): lambda w: as_admin(w, path_parameters={"id": UNKNOWN_ID}),
    ("DELETE /users/{id}/", 204): lambda w: as_admin(w, path_parameters=member_id(w)),
    ("DELETE /users/{id}/", 400): lambda w: as_admin(w, path_parameters={"id": str(w.admin.pk)}),
    ("DELETE /users/{id}/", 401): lambda w: {"path_parameters": member_id(w)},
    ("DELETE /users/{id}/", 403): lambda w: {
        "headers": w.bearer(w.manager),
        "path_parameters": {"id": str(w.admin.pk)},
    },
    ("DELETE /users/{id}/", 404): lambda w: as_admin(w, path_parameters={"id": "not-a-uuid"}),
    ("DELETE /users/{id}/", 429): lambda w: {"path_parameters": member_id(w), "throttle": True},
    ("GET /health/", 200): lambda w: {},
}
for method in ("PUT", "PATCH"):
    label = f"{method} /users/{{id}}/"
    SCENARIOS.update(
        {
            (label, 200): lambda w: as_admin(w, path_parameters=member_id(w), body={"bio": "Edited"}),
            (label, 400): lambda w: as_admin(w, path_parameters=member_id(w), body={}),
            (label, 401): lambda w: {"path_parameters": member_id(w), "body": {"bio": "Edited"}},
            (label, 403): lambda w: as_member(w, path_parameters=member_id(w), body={"bio": "Edited"}),
            (label, 404): lambda w: as_admin(w, path_parameters={"id": UNKNOWN_ID}, body={"bio": "Edited"}),
            (label, 413): lambda w: as_admin(w, path_parameters=member_id(w), body=BIG),
            (label, 415): lambda w: as_admin(w, path_parameters=member_id(w), **TEXT),
            (label, 429): lambda w: {"path_parameters": member_id(w), "body": {"bio": "x"}, "throttle": True},
        }
    )


def my_notification(world):
    note = Notification.objects.create(recipient=world.member, kind="users.verify_email", title="Hello")
    return {"id": str(note.pk)}


PREFS = "/users/me/notification-preferences/"
LOCKED_ON = {"preferences": [{"kind": "users.verify_email", "email": True}]}
SCENARIOS.update(
    {
        ("GET /notifications/", 200): lambda w: as_member(w, query={"skip": 0, "limit": 5}),
        ("GET /notifications/", 400): lambda w: as_member(w, query={"skip": -1}),
        ("GET /notifications/", 401): lambda w: {},
        ("POST /notifications/{id}/read/", 200): lambda w: as_member(w, path_parameters=my_notification(w)),
        ("POST /notifications/{id}/read/", 401): lambda w: {"path_parameters": {"id": "1"}},
        ("POST /notifications/{id}/read/", 404): lambda w: as_member(w, path_parameters={"id": "999999"}),
        ("POST /notifications/{id}/read/", 429): lambda w: {"path_parameters": {"id": "1"}, "throttle": True},
        ("POST /notifications/read-all/", 200): lambda w: as_member(w),
        ("POST /notifications/read-all/", 401): lambda w: {},
        ("POST /notifications/read-all/", 429): lambda w: {"throttle": True},
        (f"GET {PREFS}", 200): lambda w: as_member(w),
        (f"GET {PREFS}", 401): lambda w: {},
        (f"PUT {PREFS}", 200): lambda w: as_member(w, body=LOCKED_ON),
        (f"PUT {PREFS}", 400): lambda w: as_member(
            w, body={"preferences": [{"kind": "users.verify_email", "email": False}]}
        ),
        (f"PUT {PREFS}", 401): lambda w: {"body": LOCKED_ON},
        (f"PUT {PREFS}", 413): lambda w: as_member(w, body={"preferences": [{"kind": "x" * 2000}]}),
        (f"PUT {PREFS}", 415): lambda w: as_member(w, **TEXT),
        (f"PUT {PREFS}", 429): lambda w: {"body": LOCKED_ON, "throttle": True},
    }
)


def enrolled(world):
    """The member with an authenticator app; `world.codes`: their recovery codes."""
    _device, world.codes = enrol(world.member)
    return world


def pending_app(world):
    device = mfa.totp_pending(user=world.member)
    return {"password": PASSWORD, "code": totp_code(device)}


def my_passkey(world):
    device = WebAuthnCredential.objects.create(
        user=world.member,
        name="Laptop",
        confirmed=True,
        credential_id=b"k",
        credential_id_sha256="0" * 64,
        public_key=b"p",
        sign_count=0,
    )
    world.codes = mfa_passkeys.passkey_added(user=world.member, device=device)
    return {"id": str(device.pk)}


def proof(world):
    return {"password": PASSWORD, "code": enrolled(world).codes[0]}


FACTORS = "/users/me/factors/"
TOTP = "/users/me/factors/totp/"
CONFIRM = "/users/me/factors/totp/confirm/"
CODES = "/users/me/factors/recovery-codes/"
PASSKEY = "/users/me/factors/passkeys/{id}/"
WRONG_PROOF = {"password": "Wrong*Pass1", "code": "000000"}
SCENARIOS.update(
    {
        (f"GET {FACTORS}", 200): lambda w: as_member(w),
        (f"GET {FACTORS}", 401): lambda w: {},
        (f"POST {TOTP}", 200): lambda w: as_member(w),
        (f"POST {TOTP}", 400): lambda w: as_member(enrolled(w)),
        (f"POST {TOTP}", 401): lambda w: {},
        (f"POST {TOTP}", 429): lambda w: {"throttle": True},
        (f"DELETE {TOTP}", 204): lambda w: as_member(w, body=proof(w)),
        (f"DELETE {TOTP}", 400): lambda w: as_member(enrolled(w), body=WRONG_PROOF),
        (f"DELETE {TOTP}", 401): lambda w: {"body": WRONG_PROOF},
        (f"DELETE {TOTP}", 413): lambda w: as_member(w, body={**WRONG_PROOF, **BIG}),
        (f"DELETE {TOTP}", 415): lambda w: as_member(w, **TEXT),
        (f"DELETE {TOTP}", 429): lambda w: {"body": WRONG_PROOF, "throttle": True},
        (f"POST {CONFIRM}", 201): lambda w: as_member(w, body=pending_app(w)),
        (f"POST {CONFIRM}", 400): lambda w: as_member(w, body={**pending_app(w), "password": "Wrong*Pass1"}),
        (f"POST {CONFIRM}", 401): lambda w: {"body": WRONG_PROOF},
        (f"POST {CONFIRM}", 413): lambda w: as_member(w, body={**WRONG_PROOF, **BIG}),
        (f"POST {CONFIRM}", 415): lambda w: as_member(w, **TEXT),
        (f"POST {CONFIRM}", 429): lambda w: {"body": WRONG_PROOF, "throttle": True},
        (f"POST {CODES}", 200): lambda w: as_member(w, body=proof(w)),
        (f"POST {CODES}", 400): lambda w: as_member(enrolled(w), body=WRONG_PROOF),
        (f"POST {CODES}", 401): lambda w: {"body": WRONG_PROOF},
        (f"POST {CODES}", 413): lambda w: as_member(w, body={**WRONG_PROOF, **BIG}),
        (f"POST {CODES}", 415): lambda w: as_member(w, **TEXT),
        (f"POST {CODES}", 429): lambda w: {"body": WRONG_PROOF, "throttle": True},
        (f"DELETE {PASSKEY}", 204): lambda w: as_member(
            w, path_parameters=my_passkey(w), body={"password": PASSWORD, "code": w.codes[0]}
        ),
        (f"DELETE {PASSKEY}", 400): lambda w: as_member(w, path_parameters=my_passkey(w), body=WRONG_PROOF),
        (f"DELETE {PASSKEY}", 401): lambda w: {"path_parameters": {"id": "1"}, "body": WRONG_PROOF},
        (f"DELETE {PASSKEY}", 404): lambda w: as_member(w, path_parameters={"id": "999999"}, body=proof(w)),
        (f"DELETE {PASSKEY}", 413): lambda w: as_member(w, path_parameters={"id": "1"}, body={**WRONG_PROOF, **BIG}),
        (f"DELETE {PASSKEY}", 415): lambda w: as_member(w, path_parameters={"id": "1"}, **TEXT),
        (f"DELETE {PASSKEY}", 429): lambda w: {"path_parameters": {"id": "1"}, "body": WRONG_PROOF, "throttle": True},
    }
)


def documented(api_schema):
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for code in operation.definition.raw["responses"]:
            yield operation.label, int(code)


def test_every_documented_response_is_provoked_here(api_schema):
    """For the account endpoints (other apps' endpoints are fuzzed by test_schemathesis.py;
    add their scenarios here to hold them to the same standard)."""
    covered = {label for label, _ in SCENARIOS}
    assert {(label, code) for label, code in documented(api_schema) if label in covered} == (
        set(SCENARIOS) | PROVOKED_ELSEWHERE
    )


@pytest.mark.parametrize(("label", "status"), sorted(SCENARIOS), ids=[f"{op} {code}" for op, code in sorted(SCENARIOS)])
def test_documented_response_happens_and_matches_its_schema(api_schema, settings, label, status):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    kwargs = SCENARIOS[label, status](World())
    throttle = kwargs.pop("throttle", False)
    settings.AUTH_THROTTLE_RATE = "1/min" if throttle else None
    method, path = label.split(" ", 1)
    case = api_schema[path][method].Case(**kwargs)
    if throttle:
        case.call()
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("name", ["UserUpdateRequest", "PatchedUserUpdateRequest"])
def test_update_bodies_are_documented_as_needing_a_field(api_schema, name):
    assert api_schema.raw_schema["components"]["schemas"][name]["minProperties"] == 1
