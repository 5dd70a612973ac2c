"""Account rules: register, verify, log in, sessions, a member's own account, staff
managing accounts.

The API views, the admin and the management commands all call these, as
`from users import services` then `services.user_login(...)`, so each rule has
exactly one home. Every function is keyword-only; the ones that act on behalf of
someone take the acting user as `actor`. One module per area:

- `registration`: sign-up, the verification link, a new link on request;
- `login`: credentials and the lockout rule;
- `sessions`: access and refresh tokens, rotation with reuse detection, logout;
- `account`: a member's own profile, email change, password, reset, closing;
- `staff`: ADMINs and MANAGERs creating, editing, locking, deleting accounts;
- `validation`: the model's rules before a write, a lost race after it;
- `errors`: the refusals, `DomainError`s answered by the API's exception handler.
"""

from .account import (
    SELF_EDITABLE,
    account_change_password,
    account_close,
    account_update,
    password_reset_confirm,
    password_reset_finish,
    password_reset_request,
    reset_link_user,
)
from .errors import (
    AccountLocked,
    EmailNotVerified,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidResetLink,
    InvalidVerificationToken,
    SecondFactorInvalid,
    SecondFactorRequired,
)
from .login import user_login, user_login_completed, user_login_first_step, user_login_second_step
from .registration import user_add, user_register, user_verify_email, verification_resend
from .second_factor import NotAllowedToReset, factor_change, user_reset_factors
from .sessions import (
    FAMILY_CLAIM,
    end_all_sessions,
    session_end_all_by_staff,
    session_logout,
    session_logout_all,
    session_refresh,
    session_start,
    token_pair,
)
from .staff import (
    account_set_password_by_staff,
    user_check_can_manage,
    user_create,
    user_delete,
    user_lock,
    user_mark_email_verified,
    user_resend_verification,
    user_set_professional,
    user_set_role,
    user_unlock,
    user_update,
)

__all__ = [
    "FAMILY_CLAIM",
    "SELF_EDITABLE",
    "AccountLocked",
    "EmailNotVerified",
    "InvalidCredentials",
    "InvalidRefreshToken",
    "InvalidResetLink",
    "InvalidVerificationToken",
    "NotAllowedToReset",
    "SecondFactorInvalid",
    "SecondFactorRequired",
    "account_change_password",
    "account_close",
    "account_set_password_by_staff",
    "account_update",
    "end_all_sessions",
    "factor_change",
    "password_reset_confirm",
    "password_reset_finish",
    "password_reset_request",
    "reset_link_user",
    "session_end_all_by_staff",
    "session_logout",
    "session_logout_all",
    "session_refresh",
    "session_start",
    "token_pair",
    "user_add",
    "user_check_can_manage",
    "user_create",
    "user_delete",
    "user_lock",
    "user_login",
    "user_login_completed",
    "user_login_first_step",
    "user_login_second_step",
    "user_mark_email_verified",
    "user_register",
    "user_resend_verification",
    "user_reset_factors",
    "user_set_professional",
    "user_set_role",
    "user_unlock",
    "user_update",
    "user_verify_email",
    "verification_resend",
]
