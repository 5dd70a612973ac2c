"""Answering a change that committed when the database connection breaks after the commit.

Once a change has committed, its answer is its success: a 503 would tell the caller
that nothing happened while the row is there (and its confirmation email on its way).
A view that reads the changed row back after the commit does it through `read_back`,
which tries the read again on a fresh connection and, when the database still does
not answer, builds the answer from what the change wrote.
"""

import logging

from django.db import connections

from .exceptions import DATABASE_DOWN

logger = logging.getLogger(__name__)

READ_BACK_ATTEMPTS = 3


def reconnect() -> None:
    """Close every connection an error left unusable (outside a transaction), so the
    next query opens a new one. Django does this between requests; a request that
    wants to go on after the error does it here."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def read_back(read, /, *args, written, **kwargs):
    """`read(*args, **kwargs)`, run after a change committed; `written()` (the answer built
    from what the change wrote, with no query) if the database does not answer it on
    READ_BACK_ATTEMPTS connections in a row."""
    for attempt in range(1, READ_BACK_ATTEMPTS + 1):
        try:
            return read(*args, **kwargs)
        except DATABASE_DOWN as exc:
            logger.warning(
                "read back after a commit failed; trying a new connection",
                extra={"attempt": attempt, "error": type(exc).__name__},
            )
            reconnect()
    logger.warning("read back after a commit failed %s times: answering from what was written", READ_BACK_ATTEMPTS)
    return written()
