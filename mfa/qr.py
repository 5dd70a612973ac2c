"""The enrolment QR code as an inline <svg> element: no style attribute and no data: URL,
so the page keeps the strict Content-Security-Policy."""

import segno
from django.utils.safestring import mark_safe


def qr_svg(uri: str, *, title: str = "QR code for your authenticator app") -> str:
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, border=4, dark="#000", light="#fff", title=title, svgclass="mfa-qr")
    return mark_safe(svg)  # noqa: S308 - segno escapes the title; the path data is digits and letters only


def key_for_humans(b32: str) -> str:
    """The base32 key in groups of four, as authenticator apps accept it typed."""
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))
