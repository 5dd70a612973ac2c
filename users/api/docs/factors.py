"""OpenAPI descriptions of the caller's second factors: /users/me/factors…"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from core.docs import error_response

from ..serializers.factors import (
    FactorsSerializer,
    PasswordAndCodeSerializer,
    RecoveryCodesSerializer,
    TotpConfirmSerializer,
    TotpSetupSerializer,
)
from .common import BODY_ERRORS, THROTTLED, UNAUTHORIZED

FACTORS_TAG = "Two-step sign-in (any logged-in user)"


COUNTED = (
    " A wrong password or code counts toward the account lockout exactly as a wrong login does "
    "(MAX_LOGIN_ATTEMPTS; the attempt that spends the budget locks the account and ends every session). "
    "The change is written to the audit trail and a mandatory security notice (email and in-app) goes to you. "
    "Other sessions and tokens stay as they are (as in the admin); `POST /logout/all` ends them."
)
CODES_EXAMPLE = {
    "recovery_codes": [
        "2abcd-efgh3",
        "4ijkm-npqr5",
        "6stuv-wxyz7",
        "8a2b3-c4d5e",
        "9f6g7-h8i9j",
        "k2m3n-p4q5r",
        "s6t7u-v8w9x",
        "y2z3a-b4c5d",
        "e6f7g-h8i9j",
        "k3m4n-p5q6r",
    ]
}
PROOF_EXAMPLE = OpenApiExample(
    "Password and a code", value={"password": "Secure*1234", "code": "123456"}, request_only=True
)
RECOVERY_PROOF_EXAMPLE = OpenApiExample(
    "Password and a recovery code", value={"password": "Secure*1234", "code": "2abcd-efgh3"}, request_only=True
)
WRONG_PASSWORD = "The password is not correct."
WRONG_CODE = "The code is not correct (or was already used)."
_ERRORS = {401: UNAUTHORIZED, 429: THROTTLED, **BODY_ERRORS}


def _refused(description, detail, **fields):
    return error_response(description, detail, **fields)


factors_list = extend_schema(
    tags=[FACTORS_TAG],
    summary="My second factors",
    description=(
        "Which second factors you have: the authenticator app (TOTP: on or off, when it was set up and last "
        "used), how many recovery codes are left, and your passkeys (id, name, created, last used). Never a key "
        "or a code. Passkeys are registered in the member pages (Account → Two-step sign-in) or the admin: "
        "it is a browser ceremony."
    ),
    responses={
        200: OpenApiResponse(
            FactorsSerializer,
            examples=[
                OpenApiExample(
                    "App and a passkey",
                    value={
                        "totp": {
                            "enabled": True,
                            "created_at": "2026-11-21T10:00:00Z",
                            "last_used_at": "2026-11-22T08:30:00Z",
                        },
                        "recovery_codes_left": 9,
                        "passkeys": [
                            {
                                "id": 3,
                                "name": "Laptop",
                                "created_at": "2026-11-21T10:05:00Z",
                                "last_used_at": None,
                            }
                        ],
                    },
                ),
                OpenApiExample(
                    "None",
                    value={
                        "totp": {"enabled": False, "created_at": None, "last_used_at": None},
                        "recovery_codes_left": 0,
                        "passkeys": [],
                    },
                ),
            ],
        ),
        401: UNAUTHORIZED,
    },
)

totp_setup = extend_schema(
    tags=[FACTORS_TAG],
    summary="Start setting up an authenticator app",
    description=(
        "A key for a new authenticator app, kept pending until `POST /users/me/factors/totp/confirm` confirms "
        "it with the app's first code: the `otpauth://` URI (what the QR code holds), the same key to type in "
        "by hand, and the QR code as an SVG element. Asking again before confirming returns the same key. "
        "No body."
    ),
    request=None,
    responses={
        200: OpenApiResponse(
            TotpSetupSerializer,
            examples=[
                OpenApiExample(
                    "Pending app",
                    value={
                        "otpauth_uri": "otpauth://totp/Event%20Manager%3Ajohn.doe%40example.com?"
                        "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30"
                        "&issuer=Event%20Manager",
                        "key": "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
                        "qr_svg": '<svg xmlns="http://www.w3.org/2000/svg" class="mfa-qr" …>…</svg>',
                    },
                )
            ],
        ),
        400: _refused(
            "An authenticator app is already set up",
            "An authenticator app is already set up; remove it first to set up another.",
            code=["An authenticator app is already set up; remove it first to set up another."],
        ),
        401: UNAUTHORIZED,
        429: THROTTLED,
    },
)

totp_confirm = extend_schema(
    tags=[FACTORS_TAG],
    summary="Confirm the authenticator app",
    description=(
        "Your password and the first code the new app shows (±30 s of clock drift). When you already have a "
        "second factor (a passkey), `current_code` must be one of your recovery codes. Answers 201 with ten "
        "recovery codes, shown this once (an empty list when you already had codes: they keep working). From "
        "now on `POST /login` needs the `otp` field. A wrong first code of the new app is not counted (you were "
        "given its key)." + COUNTED
    ),
    request=TotpConfirmSerializer,
    responses={
        201: OpenApiResponse(RecoveryCodesSerializer, examples=[OpenApiExample("Recovery codes", value=CODES_EXAMPLE)]),
        400: _refused(
            "Wrong password or code (the field is named), a missing field, already set up, or the account locked",
            WRONG_PASSWORD,
            password=[WRONG_PASSWORD],
        ),
        **_ERRORS,
    },
    examples=[
        OpenApiExample("First factor", value={"password": "Secure*1234", "code": "123456"}, request_only=True),
        OpenApiExample(
            "Beside a passkey",
            value={"password": "Secure*1234", "code": "123456", "current_code": "2abcd-efgh3"},
            request_only=True,
        ),
    ],
)

totp_remove = extend_schema(
    tags=[FACTORS_TAG],
    summary="Remove the authenticator app",
    description=(
        "Your password and a current code (from the app, or a recovery code) in the body. With no second "
        "factor left the recovery codes go too and `POST /login` no longer asks for `otp`." + COUNTED
    ),
    request=PasswordAndCodeSerializer,
    responses={
        204: OpenApiResponse(description="Removed"),
        400: _refused(
            "Wrong password or code (the field is named), a missing field, no app to remove, or the account locked",
            WRONG_CODE,
            code=[WRONG_CODE],
        ),
        **_ERRORS,
    },
    examples=[PROOF_EXAMPLE, RECOVERY_PROOF_EXAMPLE],
)

recovery_codes = extend_schema(
    tags=[FACTORS_TAG],
    summary="New recovery codes",
    description=(
        "Your password and a current code. Ten new recovery codes, shown this once; the old ones stop "
        "working. Only with a second factor." + COUNTED
    ),
    request=PasswordAndCodeSerializer,
    responses={
        200: OpenApiResponse(
            RecoveryCodesSerializer, examples=[OpenApiExample("New recovery codes", value=CODES_EXAMPLE)]
        ),
        400: _refused(
            "Wrong password or code (the field is named), a missing field, no second factor, or the account locked",
            WRONG_CODE,
            code=[WRONG_CODE],
        ),
        **_ERRORS,
    },
    examples=[PROOF_EXAMPLE],
)

passkey_remove = extend_schema(
    tags=[FACTORS_TAG],
    summary="Remove a passkey",
    description=(
        "Your password and a current code (from the app, or a recovery code) in the body; `id` from "
        "`GET /users/me/factors`. With no second factor left the recovery codes go too." + COUNTED
    ),
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The passkey's id.")],
    request=PasswordAndCodeSerializer,
    responses={
        204: OpenApiResponse(description="Removed"),
        400: _refused(
            "Wrong password or code (the field is named), a missing field, or the account locked",
            WRONG_PASSWORD,
            password=[WRONG_PASSWORD],
        ),
        404: error_response("You have no passkey with this id", "You have no passkey with this id."),
        **_ERRORS,
    },
    examples=[PROOF_EXAMPLE],
)
