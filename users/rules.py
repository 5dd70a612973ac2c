"""Who may manage which account: pure rules on users already loaded, no queries.

Staff are `User.is_staff` (ADMIN or MANAGER, derived from the role). The services
enforce these rules; the API's permissions, the user resource's links and the
admin ask the same functions, so each rule is written once.
"""


def can_manage(actor, user) -> bool:
    """An ADMIN manages any account; a MANAGER members and managers, never an ADMIN."""
    return actor.is_admin or not user.is_admin


def can_delete(actor, user) -> bool:
    """As `can_manage`, but nobody deletes their own account here (they close it)."""
    return can_manage(actor, user) and actor.pk != user.pk
