"""OpenAPI descriptions of signing up, verifying, logging in, tokens and password reset."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from core.docs import error_response
from core.serializers import MessageSerializer

from ...services.errors import SecondFactorInvalid, SecondFactorRequired
from ..serializers.auth import (
    EmailSerializer,
    LoginErrorSerializer,
    LoginSerializer,
    PasswordResetConfirmSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenPairSerializer,
)
from ..serializers.staff import UserSerializer
from .common import (
    BODY_ERRORS,
    NEW_USER_INPUT,
    PASSWORD_CHANGED,
    THROTTLED,
    USER_RESPONSE_EXAMPLE,
    VALIDATION_ERROR,
    message,
)

AUTH_TAG = "Login and Registration"

TOKEN_PAIR = {
    "access_token": "eyJhbGciOiJIUzI1NiIs...",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_token": "eyJhbGciOiJIUzI1NiIs...",
    "refresh_expires_in": 86400,
}
ACCEPTED = {"message": "If an account uses this address, an email is on its way."}
INVALID_REFRESH = error_response(
    "Refresh token invalid, expired, revoked or already used", "Token is invalid or expired."
)
MISSING_REFRESH = error_response(
    "No refresh_token in the body (or not a string)",
    "refresh_token: This field is required.",
    refresh_token=["This field is required."],
)

register = extend_schema(
    tags=[AUTH_TAG],
    summary="Register a new account",
    description="Creates an ANONYMOUS user and emails a verification link. Log in after verifying.",
    request=RegisterSerializer,
    responses={201: UserSerializer, 400: VALIDATION_ERROR, **BODY_ERRORS, 429: THROTTLED},
    examples=[OpenApiExample("New member", value=NEW_USER_INPUT, request_only=True), USER_RESPONSE_EXAMPLE],
)

verify_email = extend_schema(
    tags=[AUTH_TAG],
    summary="Verify an email address",
    description="Opens the link from the verification email; the account becomes AUTHENTICATED. Single use.",
    responses={
        200: OpenApiResponse(
            MessageSerializer,
            examples=[OpenApiExample("Verified", value={"message": "Email verified successfully"})],
        ),
        400: error_response("Wrong, expired or already used link", "Invalid or expired verification link."),
        404: error_response("The user id is not a UUID", "Not found."),
        429: THROTTLED,
    },
)

login = extend_schema(
    tags=[AUTH_TAG],
    summary="Log in (OAuth2 password flow)",
    description=(
        "Send `username` (the email) and `password` as `application/x-www-form-urlencoded` "
        "(or JSON with the same keys). Returns a bearer access token (payload: `sub`, `role`, `ver`, "
        "`exp`, `amr`) and a single-use `refresh_token` for `POST /token/refresh`. After MAX_LOGIN_ATTEMPTS "
        "consecutive wrong passwords the account is locked; concurrent guesses never get more checks.\n\n"
        "**Two-factor sign-in.** An account with a second factor also sends `otp`: the 6-digit code of its "
        "authenticator app or one of its recovery codes (each works once). Without it the answer is a 401 "
        '`{"detail": ..., "code": "otp_required"}`, with a wrong or used one `otp_invalid`; never a '
        "token. A wrong code counts toward the lockout as a wrong password does. `amr` in both tokens says "
        'how the session was made: `["pwd"]` or `["pwd", "otp"]`; refreshing keeps it. In Swagger\'s '
        "**Authorize** dialog, type the code as `client_secret` (client credentials location: request body)."
    ),
    request={"application/x-www-form-urlencoded": LoginSerializer, "application/json": LoginSerializer},
    responses={
        200: message("Tokens", TOKEN_PAIR, TokenPairSerializer),
        400: error_response(
            "Account locked (or a required field missing)", "Account locked due to too many failed login attempts."
        ),
        401: OpenApiResponse(
            LoginErrorSerializer,
            description="Unknown email, wrong password or unverified email; or a one-time code missing or wrong",
            examples=[
                OpenApiExample("Wrong credentials", value={"detail": "Incorrect email or password."}),
                OpenApiExample("Code required", value=SecondFactorRequired().body()),
                OpenApiExample("Wrong code", value=SecondFactorInvalid().body()),
            ],
        ),
        **BODY_ERRORS,
        429: THROTTLED,
    },
    examples=[
        OpenApiExample(
            "Credentials", value={"username": "john.doe@example.com", "password": "Secure*1234"}, request_only=True
        ),
        OpenApiExample(
            "Credentials and a code",
            value={"username": "john.doe@example.com", "password": "Secure*1234", "otp": "123456"},
            request_only=True,
        ),
    ],
)

token_refresh = extend_schema(
    tags=[AUTH_TAG],
    summary="Refresh the access token (rotates the refresh token)",
    description=(
        "Returns a new access token and a new refresh token; the one sent is used up. Sending a used refresh "
        "token again revokes its whole session (reuse detection): log in again."
    ),
    request=RefreshSerializer,
    responses={
        200: message("New tokens", TOKEN_PAIR, TokenPairSerializer),
        400: MISSING_REFRESH,
        401: INVALID_REFRESH,
        **BODY_ERRORS,
        429: THROTTLED,
    },
    examples=[OpenApiExample("Refresh", value={"refresh_token": "eyJhbGciOiJIUzI1NiIs..."}, request_only=True)],
)
logout = extend_schema(
    tags=[AUTH_TAG],
    summary="Log out (revoke this session's refresh token)",
    description="The refresh token and its session stop working; the access token expires on its own (minutes).",
    request=RefreshSerializer,
    responses={
        204: OpenApiResponse(description="Logged out"),
        400: MISSING_REFRESH,
        401: INVALID_REFRESH,
        **BODY_ERRORS,
        429: THROTTLED,
    },
    examples=[OpenApiExample("Logout", value={"refresh_token": "eyJhbGciOiJIUzI1NiIs..."}, request_only=True)],
)
password_reset = extend_schema(
    tags=[AUTH_TAG],
    summary="Ask for a password reset link",
    description=(
        "Always 202 with the same body, in the same time, whether or not the address is registered. "
        "The email links to `/reset/{uid}/{token}/` (a browser page); API clients send uid and token to "
        "`POST /password-reset/confirm`. The link works once and expires after PASSWORD_RESET_TIMEOUT."
    ),
    request=EmailSerializer,
    responses={202: message("Accepted", ACCEPTED), 400: VALIDATION_ERROR, **BODY_ERRORS, 429: THROTTLED},
    examples=[OpenApiExample("Address", value={"email": "john.doe@example.com"}, request_only=True)],
)
password_reset_confirm = extend_schema(
    tags=[AUTH_TAG],
    summary="Set a new password from a reset link",
    description="Unlocks the account, forgets failed logins and ends every session. The link is then used up.",
    request=PasswordResetConfirmSerializer,
    responses={
        200: message("Changed", PASSWORD_CHANGED),
        400: error_response(
            "Invalid, used or expired link, or a weak password",
            "Invalid or expired password reset link.",
            token=["Invalid or expired password reset link."],
        ),
        429: THROTTLED,
        **BODY_ERRORS,
    },
    examples=[
        OpenApiExample(
            "Confirm",
            value={
                "uid": "M2ZhODVmNjQtNTcxNy00NTYyLWIzZmMtMmM5NjNmNjZhZmE2",
                "token": "c8x2qk-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                "new_password": "Even*Better5678",
            },
            request_only=True,
        )
    ],
)
verification_resend = extend_schema(
    tags=[AUTH_TAG],
    summary="Send the verification email again",
    description="Always 202 with the same body, in the same time, whether the address is registered or not.",
    request=EmailSerializer,
    responses={202: message("Accepted", ACCEPTED), 400: VALIDATION_ERROR, **BODY_ERRORS, 429: THROTTLED},
    examples=[OpenApiExample("Address", value={"email": "john.doe@example.com"}, request_only=True)],
)


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """One way in, as the earlier service had: the OAuth2 password flow against /login/,
    whose token goes in `Authorization: Bearer <access_token>`. (A second, pasted-token
    scheme made Swagger UI's Authorize dialog offer a button that failed with a console
    error.)"""

    target_class = "users.authentication.JWTAuthentication"
    name = "OAuth2PasswordBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": (
                "Log in with your email as `username`; the access token is then sent as "
                "`Authorization: Bearer <access_token>`. With two-factor sign-in, type the code from your "
                "authenticator app as `client_secret` (client credentials location: request body)."
            ),
            "flows": {"password": {"tokenUrl": "/login/", "scopes": {}}},
        }
