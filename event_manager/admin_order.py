"""The admin home in the order staff use it: people, events and registrations first, the
messages and the audit trail next, plumbing (token blacklist, second-factor devices' tables,
fan-outs) last. Django sorts apps and models alphabetically; this sorts them by these lists,
and anything not named keeps Django's order after what is."""

# Apps staff work in, in order; then every app not named; then PLUMBING.
APPS = ("users", "events", "notifications", "audit", "mfa")
PLUMBING = ("token_blacklist", "django_otp", "otp_totp", "otp_static", "otp_webauthn", "sessions", "sites", "auth")
# Within an app: the models named first, in order; the others after them; LAST ones at the end.
MODELS = {
    "users": ("User",),
    "events": ("Event", "Registration"),
    "notifications": ("OutgoingEmail", "Notification", "NotificationPreference"),
}
LAST = {"notifications": ("FanOut",)}


def _rank(name: str, first: tuple, last: tuple = ()) -> tuple[int, int]:
    if name in first:
        return (0, first.index(name))
    if name in last:
        return (2, last.index(name))
    return (1, 0)


def order_app_list(app_list: list[dict]) -> list[dict]:
    """Django's app list (as `AdminSite.get_app_list` returns it), in the order above. Stable:
    ties keep Django's alphabetical order."""
    for app in app_list:
        label = app["app_label"]
        app["models"].sort(key=lambda model: _rank(model["object_name"], MODELS.get(label, ()), LAST.get(label, ())))
    return sorted(app_list, key=lambda app: _rank(app["app_label"], APPS, PLUMBING))


def ordered(get_app_list):
    """Wrap an admin site's `get_app_list` (the home, each app's page and the navigation use it)."""

    def get_ordered_app_list(request, app_label=None):
        return order_app_list(get_app_list(request, app_label))

    get_ordered_app_list.ordered = True
    return get_ordered_app_list
