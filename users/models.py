import uuid

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from core.timezones import default_time_zone, validate_time_zone

from .managers import UserManager
from .validators import normalize_email, validate_http_url, validate_image_extension, validate_nickname

EMAIL_EXISTS = "Email already exists."


class HTTPURLField(models.URLField):
    """A URL field that accepts only http and https."""

    default_validators = [validate_http_url]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


class Role(models.TextChoices):
    ANONYMOUS = "ANONYMOUS", "Anonymous (email not verified)"
    AUTHENTICATED = "AUTHENTICATED", "Authenticated"
    MANAGER = "MANAGER", "Manager"
    ADMIN = "ADMIN", "Admin"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER})

# Optional free-text profile fields (blank when unset; `null` in the API).
OPTIONAL_PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "bio",
    "profile_picture_url",
    "linkedin_profile_url",
    "github_profile_url",
    "resume_url",
)
# What a user, an admin or a manager may edit about an account (the role aside).
PROFILE_FIELDS = ("email", "nickname", *OPTIONAL_PROFILE_FIELDS)
# A member's own settings on the user resource (PATCH /users/me); `time_zone` also at sign-up.
SETTING_FIELDS = ("time_zone", "show_in_directory")


class User(AbstractBaseUser, PermissionsMixin):
    """A community member who logs in with an email address.

    `is_staff`, `is_superuser` and `is_active` are derived from `role` and
    `is_locked` rather than stored, so they can never disagree with them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", max_length=255)
    nickname = models.CharField(
        max_length=50,
        unique=True,
        validators=[validate_nickname],
        help_text="3-50 letters, digits, '_' or '-'. Generated when left empty.",
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    bio = models.TextField(max_length=500, blank=True, validators=[MaxLengthValidator(500)])
    profile_picture_url = HTTPURLField(max_length=500, blank=True, validators=[validate_image_extension])
    linkedin_profile_url = HTTPURLField("LinkedIn profile URL", max_length=500, blank=True)
    github_profile_url = HTTPURLField("GitHub profile URL", max_length=500, blank=True)
    resume_url = HTTPURLField(
        "résumé URL", max_length=500, blank=True, help_text="Managers look at it before granting professional status."
    )
    pending_email = models.EmailField(
        "pending email address",
        max_length=255,
        blank=True,
        editable=False,
        help_text="A new address the member asked for, not verified yet.",
    )
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA name (e.g. Europe/Paris): times are shown to this member in it.",
    )
    show_in_directory = models.BooleanField(
        "show me to other members",
        default=False,
        help_text="Opt-in: listed in the member directory and on attendee lists other attendees see.",
    )
    role = models.CharField(max_length=20, choices=Role, default=Role.ANONYMOUS)
    is_professional = models.BooleanField("professional", default=False)
    professional_status_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_verified = models.BooleanField(default=False)
    is_locked = models.BooleanField("locked", default=False)
    failed_login_attempts = models.PositiveIntegerField(default=0, editable=False)
    locked_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised to end every session (tokens carry the version they were made with).",
    )
    closed_at = models.DateTimeField("account closed", null=True, blank=True, editable=False)
    last_login_at = models.DateTimeField("last login", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Django's `last_login` column is replaced by `last_login_at` (the contract's name).
    last_login = None

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="users_user_email_ci_unique", violation_error_message=EMAIL_EXISTS
            ),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="users_user_role_valid"),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="users_user_created_idx"),
            models.Index(fields=["role"], name="users_user_role_idx"),
            # Filters and orderings of GET /users/ (users/filters.py); the trigram
            # indexes for `q` exist on PostgreSQL only (migration 0006).
            models.Index(fields=["role", "created_at", "id"], name="users_user_role_created_idx"),
            models.Index(fields=["email"], name="users_user_email_order_idx"),
            models.Index(fields=["last_login_at", "id"], name="users_user_last_login_idx"),
            models.Index(fields=["created_at", "id"], name="users_user_locked_idx", condition=models.Q(is_locked=True)),
            models.Index(
                fields=["created_at", "id"], name="users_user_pro_idx", condition=models.Q(is_professional=True)
            ),
            models.Index(
                fields=["created_at", "id"], name="users_user_unverified_idx", condition=models.Q(email_verified=False)
            ),
            # The member directory (users.selectors.directory_members): the few who opted in.
            models.Index(
                fields=["nickname"], name="users_user_directory_idx", condition=models.Q(show_in_directory=True)
            ),
        ]

    def _get_session_auth_hash(self, secret=None):
        """Browser sessions (admin and member pages) hold an HMAC of the password and of
        `token_version`: whatever ends every session of an account (log out everywhere, a
        lock, a password or email change, a factor reset, staff) ends them on every page at
        once, as it ends API tokens."""
        return salted_hmac(
            "users.User.get_session_auth_hash",
            f"{self.password}\x00{self.token_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def __str__(self):
        return self.email

    # Properties replace PermissionsMixin's `is_superuser` column and Django's
    # `is_staff`/`is_active` flags, so they can never disagree with the role.
    @property
    def is_superuser(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_active(self) -> bool:
        return not self.is_locked

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    def clean_fields(self, exclude=None):
        """Normalise the email first (users.validators.normalize_email), so the field's
        validators and the uniqueness check see the form that is stored."""
        exclude = set(exclude or ())
        errors = {}
        if self.email and "email" not in exclude:
            try:
                self.email = normalize_email(self.email)
            except ValidationError as exc:
                errors["email"] = exc.error_list
                exclude.add("email")
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        super().clean()
        if self.email and type(self).objects.by_email(self.email).exclude(pk=self.pk).exists():
            raise ValidationError({"email": ValidationError(EMAIL_EXISTS, code="email_exists")})


class UserCount(models.Model):
    """How many users there are, kept exact by database triggers on the user
    table (migration 0004): the unfiltered user list reads this one row instead
    of counting the whole table on every page."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="users_usercount_single_row")]

    def __str__(self):
        return f"{self.total} users"


class RefreshSession(models.Model):
    """One login: the family of refresh tokens rotated from it (their `fam` claim).

    Presenting a refresh token that was already rotated out revokes the whole
    family (reuse detection); logging out revokes it too. Individual tokens are
    tracked by simplejwt's token_blacklist (OutstandingToken, BlacklistedToken).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=50, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="users_session_user_idx")]

    def __str__(self):
        return f"session {self.pk} of {self.user_id}"
