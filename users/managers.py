"""`UserManager`: the `_create_user` → `create_user` / `create_superuser` chain."""

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from .nicknames import generate_nickname
from .validators import email_lookup_key, normalize_email

NICKNAME_ATTEMPTS = 20


class UserQuerySet(models.QuerySet):
    def by_email(self, email: str):
        """The account whose address is `email` once normalised (NFKC, IDNA domain),
        case-insensitively, through the unique index on LOWER(email). An address that
        cannot be normalised (an invisible character, a mixed-script domain) matches none."""
        key = email_lookup_key(email)
        if key is None:
            return self.none()
        return self.alias(email_lower=Lower("email")).filter(email_lower=key)


def _validate_password(password: str, user) -> None:
    """AUTH_PASSWORD_VALIDATORS, which Django's createsuperuser skips with --noinput."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError(
            {"password": [f"The password is refused: {message}" for message in exc.messages]}
        ) from None


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        """The canonical form (users.validators.normalize_email); raises ValidationError."""
        return normalize_email(email or "") if email else ""

    def get_by_natural_key(self, username):
        return self.by_email(username).get()

    def unique_nickname(self) -> str:
        """A generated nickname no user has yet."""
        for _ in range(NICKNAME_ATTEMPTS):
            nickname = generate_nickname()
            if not self.filter(nickname=nickname).exists():
                return nickname
        raise RuntimeError("Could not generate a unique nickname")

    def _create_user(self, email, password, *, validate=False, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        if not extra_fields.get("nickname"):
            extra_fields["nickname"] = self.unique_nickname()
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.full_clean(exclude=["password"])
        if validate and password is not None:
            _validate_password(password, user)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        """A new member: ANONYMOUS until the email is verified (None: an unusable password)."""
        from .models import Role

        extra_fields.setdefault("role", Role.ANONYMOUS)
        extra_fields.setdefault("email_verified", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        """An ADMIN with a verified email (what `manage.py createsuperuser` makes). The
        password must pass AUTH_PASSWORD_VALIDATORS: a ValidationError naming it otherwise."""
        from .models import Role

        extra_fields.pop("is_staff", None)
        extra_fields.pop("is_superuser", None)
        extra_fields["role"] = Role.ADMIN
        extra_fields["email_verified"] = True
        return self._create_user(email, password, validate=True, **extra_fields)
