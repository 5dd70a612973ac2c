"""Event rules: create, edit, submit, approve, reject, cancel; register, cancel, check in.

The API views, the admin and the management commands all call these, as
`from events import services` then `services.event_approve(...)`; one module per area:

- `lifecycle`: an event's states (create, update, delete, submit, approve, reject, cancel);
- `registrations`: seats and the waiting list (register, cancel, check in, release);
- `reminders`: the reminder the day before;
- `calendar_tokens`: secret calendar-feed URLs;
- `locking`: the event row lock that makes seats race-free (why, in its docstring);
- `errors`: the refusals, `DomainError`s answered by the API's exception handler.

Who may do what, and the transition table, are `events.rules` (re-exported here).
"""

from ..rules import TRANSITIONS, VERBS, can_edit, can_review, is_staff
from .calendar_tokens import calendar_token_create, calendar_token_revoke, calendar_token_user
from .errors import (
    AlreadyRegistered,
    CheckInRefused,
    EventError,
    EventNotFound,
    InvalidTransition,
    NotAllowed,
    NotRegistered,
    RegistrationRefused,
)
from .lifecycle import (
    event_approve,
    event_cancel,
    event_create,
    event_delete,
    event_reject,
    event_submit,
    event_update,
)
from .registrations import (
    registration_cancel,
    registration_check_in,
    registration_create,
    registrations_release_for_user,
    waitlist_rank,
)
from .reminders import reminders_send

__all__ = [
    "TRANSITIONS",
    "VERBS",
    "AlreadyRegistered",
    "CheckInRefused",
    "EventError",
    "EventNotFound",
    "InvalidTransition",
    "NotAllowed",
    "NotRegistered",
    "RegistrationRefused",
    "calendar_token_create",
    "calendar_token_revoke",
    "calendar_token_user",
    "can_edit",
    "can_review",
    "event_approve",
    "event_cancel",
    "event_create",
    "event_delete",
    "event_reject",
    "event_submit",
    "event_update",
    "is_staff",
    "registration_cancel",
    "registration_check_in",
    "registration_create",
    "registrations_release_for_user",
    "reminders_send",
    "waitlist_rank",
]
