"""The messages users/ sends, registered with notifications/ in UsersConfig.ready().

Each kind renders its own context here; notifications/ never imports users/.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.registry import EMAIL, IN_APP, Kind, register

from .tokens import email_change_token, email_verification_token

VERIFY_EMAIL = "users.verify_email"
PASSWORD_RESET = "users.password_reset"
EMAIL_CHANGE_VERIFY = "users.email_change_verify"
EMAIL_CHANGED_NOTICE = "users.email_changed_notice"
PASSWORD_CHANGED = "users.password_changed"
PROFESSIONAL_GRANTED = "users.professional_granted"
ACCOUNT_CLOSED = "users.account_closed"
ACCOUNT_LOCKED = "users.account_locked"
NEW_DEVICE = "users.new_device"


def verification_url(user) -> str:
    token = email_verification_token.make_token(user)
    return f"{settings.SERVER_BASE_URL}/verify-email/{user.pk}/{token}"


def _verification_context(email) -> dict:
    """Made at delivery time: the token link is never stored."""
    return {"user": email.user, "verification_url": verification_url(email.user)}


def password_reset_url(user) -> str:
    """Django's own reset page (the admin's "Forgot your password?" uses it too); API
    clients take `uid` and `token` from it for POST /password-reset/confirm."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{settings.SERVER_BASE_URL}/reset/{uid}/{default_token_generator.make_token(user)}/"


def _password_reset_context(email) -> dict:
    return {"link": password_reset_url(email.user)}


def _email_change_context(email) -> dict:
    """The link confirms exactly the address this email was sent to."""
    token = email_change_token.make_token_for(email.user, email.to_address)
    return {"link": f"{settings.SERVER_BASE_URL}/verify-email/{email.user.pk}/{token}"}


def _security(key, label, description, title, body, render=None):
    return Kind(
        key=key,
        label=label,
        description=description,
        # Shown in-app too (the dashboard keeps a record of security events); the
        # links with tokens are made for the email only, at delivery.
        channels=(EMAIL, IN_APP),
        mandatory=True,
        urgent=True,
        title=title,
        body=body,
        render=render,
    )


def register_kinds() -> None:
    register(
        _security(
            PASSWORD_RESET,
            "Password reset",
            "The link to choose a new password.",
            "Reset your Event Manager password",
            "Someone asked to reset the password of this account. Open the link below to choose a new one; "
            "it works once and expires. If it was not you, ignore this email: your password is unchanged.",
            render=_password_reset_context,
        )
    )
    register(
        _security(
            EMAIL_CHANGE_VERIFY,
            "New email address",
            "The link that confirms a new address for your account.",
            "Confirm your new Event Manager email address",
            "Open the link below to make this address the one you log in with. Until then your old address stays.",
            render=_email_change_context,
        )
    )
    register(
        _security(
            EMAIL_CHANGED_NOTICE,
            "Email address changed",
            "A notice to your old address when the address of your account changes.",
            "The email address of your Event Manager account is changing",
            "The address of your account is being changed to {{ new_email }}. "
            "If you did not ask for this, contact an administrator at once.",
        )
    )
    register(
        _security(
            PASSWORD_CHANGED,
            "Password changed",
            "A notice when your password changes.",
            "Your Event Manager password was changed",
            "Every session was logged out. If you did not do this, reset your password at once.",
        )
    )
    register(
        _security(
            ACCOUNT_LOCKED,
            "Account locked",
            "A notice when wrong passwords lock your account, with the way back in.",
            "Your Event Manager account is locked",
            "After {{ attempts }} wrong password{{ attempts|pluralize }} in a row, logging in to your account is "
            "refused {% if cooloff_minutes %}for the next {{ cooloff_minutes }} minute{{ cooloff_minutes|pluralize }}"
            "{% else %}until you reset your password or an administrator unlocks it{% endif %}. "
            "To get back in now, choose a new password with the link in the email we sent you (or ask for a "
            'new one: "Forgot your password?" on the login page, POST /password-reset in the API); the new '
            "password unlocks the account. If the wrong passwords were not yours, someone may be guessing "
            "yours: choose a new, strong one.",
            render=_password_reset_context,
        )
    )
    register(
        _security(
            NEW_DEVICE,
            "Sign-in from a new device",
            "A notice when your account signs in from a browser or app it has not used before.",
            "New sign-in to your Event Manager account",
            "Your account just signed in through {{ how }} from a device it has not used before: {{ device }}, "
            "from the address {{ ip }}. If this was you, there is nothing to do. If it was not, someone knows "
            "your password: reset it at once (\u201cForgot your password?\u201d on the login page) and tell an "
            "administrator.",
        )
    )
    register(
        _security(
            ACCOUNT_CLOSED,
            "Account closed",
            "The confirmation that your account was closed.",
            "Your Event Manager account is closed",
            "Your profile was erased and you can no longer log in. Thank you for being part of the community.",
        )
    )
    register(
        Kind(
            key=PROFESSIONAL_GRANTED,
            label="Professional status granted",
            description="When a manager upgrades your account to professional.",
            channels=(EMAIL, IN_APP),
            title="You now have professional status",
            body="{% if note %}{{ note }}{% else %}A manager upgraded your account to professional.{% endif %}",
            link="/users/me",
        )
    )
    register(
        Kind(
            key=VERIFY_EMAIL,
            label="Email verification",
            description="The link that confirms your email address.",
            channels=(EMAIL, IN_APP),
            mandatory=True,
            urgent=True,
            title="Confirm your email address",
            body="We sent a verification link to your email address; open it to finish signing up.",
            template="users/emails/verify_email",
            render=_verification_context,
        )
    )
