"""Signals users/ sends for upper layers (events/) that it must never import."""

from django.dispatch import Signal

# Sent inside account_close's transaction, after the row is anonymised: `user` closed
# their account (the row stays, so no pre_delete fires). Receivers release what the
# account held (events/ gives its seats to the people waiting).
account_closed = Signal()
