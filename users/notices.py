"""The messages users/ sends, registered with notifications/ in UsersConfig.ready().

Each kind renders its own context here; notifications/ never imports users/.
"""

from django.conf import settings

from notifications.registry import EMAIL, Kind, register

from .tokens import email_verification_token

VERIFY_EMAIL = "users.verify_email"


def verification_url(user) -> str:
    token = email_verification_token.make_token(user)
    return f"{settings.SERVER_BASE_URL}/verify-email/{user.pk}/{token}"


def _verification_context(email) -> dict:
    """Made at delivery time: the token link is never stored."""
    return {"user": email.user, "verification_url": verification_url(email.user)}


def register_kinds() -> None:
    register(
        Kind(
            key=VERIFY_EMAIL,
            label="Email verification",
            description="The link that confirms your email address.",
            channels=(EMAIL,),
            mandatory=True,
            urgent=True,
            template="users/emails/verify_email",
            render=_verification_context,
        )
    )
