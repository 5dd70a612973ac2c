"""What "a device" is for the new-device notice (docs/security.md, "New-device notice").

- A browser (the admin, and any page that signs in with a session) is a random id in a
  long-lived signed cookie, `DEVICE_COOKIE` (HttpOnly, SameSite=Lax, Secure with HTTPS),
  set at its first sign-in and shared by every account that signs in from it. Clearing
  cookies, a private window or another browser profile is a new device.
- An API client has no cookie: it is its user agent's family ("Firefox on Linux",
  "curl"; versions ignored, so an update is not a new device) and its network (the
  client address's /24 for IPv4, /48 for IPv6). A new network (travel, a phone between
  Wi-Fi and mobile data) is a new device; someone on the same network with the same
  kind of client is not.
"""

import ipaddress
import re
import secrets

from django.conf import settings

from core.context import client_ip

from .services.devices import user_signed_in_from

DEVICE_COOKIE = "em_device"
DEVICE_COOKIE_SALT = "users.devices"
DEVICE_COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
_PENDING_COOKIE = "_device_cookie"

BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_PRODUCT = re.compile(r"^([A-Za-z][A-Za-z0-9._-]{0,40})")


def user_agent_family(user_agent: str) -> str:
    """ "Chrome on Linux", "Firefox on Windows", "curl", "python-requests"; "unknown client"."""
    browser = next((name for token, name in BROWSERS if token in user_agent), None)
    system = next((name for token, name in SYSTEMS if token in user_agent), None)
    if browser:
        return f"{browser} on {system}" if system else browser
    product = _PRODUCT.match(user_agent.strip())
    return product.group(1) if product else "unknown client"


def network_of(ip: str | None) -> str:
    if ip is None:
        return "unknown network"
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def api_sign_in(request, user) -> bool:
    """A login through the API (`POST /login/`): the device is the client's family and network."""
    family = user_agent_family(request.META.get("HTTP_USER_AGENT", ""))
    ip = client_ip(request)
    return user_signed_in_from(
        user=user, kind="api", identity=f"{family}|{network_of(ip)}", label=family, ip=ip, how="the API"
    )


def browser_sign_in(request, user, *, how: str = "the admin") -> bool:
    """A sign-in in a browser that completed (both steps, for a user with a factor) in
    `how` ("the admin", "the member pages"): the device is the browser's cookie, made now
    when it has none (set on the response by `set_device_cookie`)."""
    device_id = _device_id(request)
    if device_id is None:
        device_id = secrets.token_urlsafe(18)
        setattr(request, _PENDING_COOKIE, device_id)
    label = user_agent_family(request.META.get("HTTP_USER_AGENT", ""))
    return user_signed_in_from(
        user=user, kind="browser", identity=device_id, label=label, ip=client_ip(request), how=how
    )


def _device_id(request) -> str | None:
    """The browser's device id from its cookie; None without one (or with a forged one)."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT)
    return value or None


def set_device_cookie(request, response) -> None:
    """On the response of the sign-in that made a new device id."""
    device_id = getattr(request, _PENDING_COOKIE, None)
    if device_id is not None:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            device_id,
            salt=DEVICE_COOKIE_SALT,
            max_age=DEVICE_COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
