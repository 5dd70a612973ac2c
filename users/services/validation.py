"""What every write of an account goes through: the model's rules and the password
validators before it, and a save that turns a lost race on a unique column into
the same 400 the rules give."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..models import EMAIL_EXISTS, User


def _validate(user: User, *, password: str | None = None, nickname_checked: bool = False) -> None:
    """Run the model's rules and, for a new password, the password validators;
    raise one ValidationError naming every offending field.

    Each uniqueness rule costs one query: the email's in `User.clean`, the
    nickname's in `validate_unique` (none for a nickname `unique_nickname` just
    made). The constraints are not queried again (`validate_constraints=False`):
    the role's choices are a field rule, and the database enforces both unique
    constraints on save, where `_save` turns a lost race into the same 400."""
    errors = {}
    try:
        user.full_clean(exclude=["password", *(["nickname"] if nickname_checked else [])], validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)


def _save(user: User, **kwargs) -> None:
    """Save, turning a lost race on a unique column into a validation error."""
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError:
        if User.objects.by_email(user.email).exclude(pk=user.pk).exists():
            raise ValidationError({"email": [EMAIL_EXISTS]}) from None
        if User.objects.filter(nickname=user.nickname).exclude(pk=user.pk).exists():
            raise ValidationError({"nickname": ["Nickname already exists."]}) from None
        raise


def _set_password(user: User, password: str, *, field: str) -> None:
    """Set a new password (unsaved) if the validators accept it; their messages go under `field`."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    user.set_password(password)
