"""One-click unsubscribe (RFC 8058): a signed link per recipient and kind.

The link's path is fixed here (`UNSUBSCRIBE_PATH`) and served by the member pages,
which notifications/ never imports. The token is signed with the SECRET_KEY and a
salt of its own, and names the user and the kind: it can only turn off that kind's
email for that user. Mandatory kinds get no link. The daily digest has one of its own
(its key is the digest's, `notifications.digest`): it stops the digest
(`services.digest.digest_unsubscribe`).
"""

from django.conf import settings
from django.core import signing

SALT = "notifications.unsubscribe"
UNSUBSCRIBE_PATH = "/app/unsubscribe/{token}/"


def unsubscribe_token(*, user_id, kind: str) -> str:
    return signing.dumps({"u": str(user_id), "k": kind}, salt=SALT)


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """(user id, kind key) of a token; raises signing.BadSignature (or ValueError) when it is not ours."""
    data = signing.loads(token, salt=SALT)
    if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("k"), str):
        raise ValueError("Not an unsubscribe token.")
    return data["u"], data["k"]


def unsubscribe_url(*, user_id, kind: str) -> str:
    return settings.SERVER_BASE_URL + UNSUBSCRIBE_PATH.format(token=unsubscribe_token(user_id=user_id, kind=kind))


def unsubscribe_headers(*, user_id, kind) -> dict:
    """The RFC 8058 headers for an email of `kind` (a Kind) to `user_id`; none for a mandatory kind."""
    if kind.mandatory:
        return {}
    return list_unsubscribe_headers(user_id=user_id, key=kind.key)


def list_unsubscribe_headers(*, user_id, key: str) -> dict:
    """The RFC 8058 headers whose link turns off `key` (a kind's key, or the digest's) for `user_id`."""
    if user_id is None:
        return {}
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user_id=user_id, kind=key)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
