"""The kinds of notification, registered by the apps that own them.

`notifications/` is a lower layer: it never imports `users/` or `events/`. Each
owning app describes its messages as `Kind`s and registers them in its
`AppConfig.ready()`, the way models register with the admin site:

    # users/apps.py
    def ready(self):
        from notifications.registry import Kind, register

        from .notices import verification_context

        register(Kind(
            key="users.verify_email",
            label="Email verification",
            template="users/emails/verify_email",   # _subject.txt, .txt and .html
            channels=("email",),
            mandatory=True,                         # security mail: cannot be turned off
            urgent=True,                            # never held for the daily digest
            render=verification_context,            # the token link, made at delivery time
        ))

A service then calls `notifications.services.notify(recipient=user, kind="users.verify_email")`
inside its transaction (see that module). What each field means:

- `key`: "<app>.<name>", stored on every row; never rename one that was ever sent.
- `channels`: a subset of ("email", "in_app").
- `mandatory`: the recipient cannot turn any of its channels off.
- `urgent`: email goes out at once even when the recipient asked for a daily digest.
- `template`: base path of the email templates `<template>_subject.txt`, `<template>.txt`
  and `<template>.html`; when empty, `notifications/emails/generic` shows `title` and `body`.
- `title`, `body`: the in-app line and its details (also the generic email). Either a
  Django template string rendered with the stored context, or a callable
  `(context: dict) -> str`. `title` defaults to `label`.
- `link`: URL of the object the notification is about: a template string or a callable
  `(context) -> str`; relative paths get `SERVER_BASE_URL` in front.
- `render`: `(email: OutgoingEmail) -> dict`, extra email context made at delivery time,
  for what must never be stored (token links) or should be fresh (the current
  event title). `email.user` is the recipient, `email.context` the stored context.
- `attachments`: `(email: OutgoingEmail) -> [(filename, bytes, mimetype)]`, e.g. an .ics.
- `default_email`, `default_in_app`, `default_digest`: the preferences a recipient has
  until they change them ("immediately" or "daily"; daily only for non-urgent kinds).
- `description`: one line saying when it is sent, shown beside it in the preferences.
- `roles`: the user roles it can reach (e.g. ("MANAGER", "ADMIN") for a review request);
  empty for every user. Preferences list only the kinds that can reach the user
  (`Kind.reaches`); the roles are plain strings, so this layer needs no `users/`.

Periodic jobs (digests, reminders) are contributed the same way with `periodic(...)`;
`event_manager/celery.py` gives them all to Celery beat.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

EMAIL = "email"
IN_APP = "in_app"
CHANNELS = (EMAIL, IN_APP)
IMMEDIATELY = "immediately"
DAILY = "daily"
DIGEST_CHOICES = (IMMEDIATELY, DAILY)

Text = str | Callable[[dict], str]


class UnknownKind(LookupError):
    """`notify` was called with a key no app registered."""


@dataclass(frozen=True)
class Kind:
    """One kind of message: its channels, templates and whether it may be turned off."""

    key: str
    label: str
    channels: tuple[str, ...] = (EMAIL, IN_APP)
    mandatory: bool = False
    urgent: bool = False
    template: str = ""
    title: Text = ""
    body: Text = ""
    link: Text = ""
    render: Callable | None = None
    attachments: Callable | None = None
    default_email: bool = True
    default_in_app: bool = True
    default_digest: str = IMMEDIATELY
    description: str = ""
    roles: tuple[str, ...] = ()

    def __post_init__(self):
        if "." not in self.key or len(self.key) > 100:
            raise ValueError(f"Kind key {self.key!r} must look like '<app>.<name>' (at most 100 characters).")
        unknown = set(self.channels) - set(CHANNELS)
        if not self.channels or unknown:
            raise ValueError(f"Kind {self.key}: channels must be a non-empty subset of {CHANNELS}.")
        if self.default_digest not in DIGEST_CHOICES or (self.urgent and self.default_digest != IMMEDIATELY):
            raise ValueError(
                f"Kind {self.key}: default_digest must be one of {DIGEST_CHOICES} (immediately if urgent)."
            )

    def reaches(self, user) -> bool:
        """Whether this kind can be sent to `user` (by its `role`): the preferences list only these."""
        return not self.roles or getattr(user, "role", None) in self.roles

    @property
    def digestible(self) -> bool:
        """Whether the recipient may choose a daily digest for this kind's email."""
        return EMAIL in self.channels and not self.urgent


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add `kind`; registering the same definition twice is harmless, a different one under a taken key is not."""
    existing = _kinds.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"Another notification kind is already registered as {kind.key!r}.")
    _kinds[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    """Remove a kind (for tests that register throwaway kinds)."""
    _kinds.pop(key, None)


def get_kind(key: str) -> Kind:
    try:
        return _kinds[key]
    except KeyError:
        raise UnknownKind(f"No notification kind {key!r} is registered.") from None


def kinds() -> list[Kind]:
    """Every registered kind, sorted by key."""
    return [_kinds[key] for key in sorted(_kinds)]


# --- Periodic jobs contributed by apps ----------------------------------------


@dataclass(frozen=True)
class Periodic:
    """A task Celery beat runs on a schedule (a timedelta, seconds, or a celery crontab)."""

    name: str
    task: str
    schedule: object
    kwargs: dict = field(default_factory=dict)


_periodic: dict[str, Periodic] = {}


def periodic(name: str, *, task: str, schedule: object, kwargs: dict | None = None) -> Periodic:
    """Contribute a beat entry, e.g. `periodic("events.reminders", task="events.tasks.send_reminders",
    schedule=timedelta(minutes=15))`, from an AppConfig.ready()."""
    entry = Periodic(name=name, task=task, schedule=schedule, kwargs=dict(kwargs or {}))
    _periodic[name] = entry
    return entry


def beat_schedule() -> dict:
    """Celery's `beat_schedule` built from every contributed entry."""
    return {
        entry.name: {
            "task": entry.task,
            "schedule": entry.schedule.total_seconds() if isinstance(entry.schedule, timedelta) else entry.schedule,
            "kwargs": entry.kwargs,
        }
        for entry in _periodic.values()
    }
