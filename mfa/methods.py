"""The ways to pass the second step, as the admin's "second step" page lists them.

The page shows, for each method the user has, its label and, when it has one, its own
template (a passkey's button, say); the code form (authenticator app or recovery
code) is always there for a user with a factor. Another app adds a method with
`register(Method(...))` in its AppConfig.ready(), and finishes the step by calling
`users.two_step.complete(request, device, counted=False)` with the django-otp device it
checked.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import RecoveryCode


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    available: Callable  # available(user) -> bool
    hint: str = ""
    template: str = ""  # included in the page with `user` and `next` in its context


_methods: dict[str, Method] = {}


def register(method: Method) -> Method:
    _methods[method.key] = method
    return method


def methods_for(user) -> list[Method]:
    return [m for m in _methods.values() if m.available(user)]


register(
    Method(
        key="totp",
        label="Authenticator app",
        hint="The 6-digit code your authenticator app shows for Event Manager.",
        available=lambda user: TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    )
)
register(
    Method(
        key="recovery",
        label="Recovery code",
        hint="One of the ten codes you saved when you set up two-step sign-in (each works once).",
        available=lambda user: RecoveryCode.objects.filter(device__user=user).exists(),
    )
)
