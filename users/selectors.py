"""Reads that are more than a one-line query."""

from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.functional import cached_property

from .models import User, UserCount


def user_total(using: str = "default") -> int:
    """How many users there are, from the trigger-maintained counter row (one
    primary-key read). The row is re-created from COUNT(*) if it is missing
    (a test database flush deletes it)."""
    total = UserCount.objects.using(using).filter(pk=1).values_list("total", flat=True).first()
    if total is not None:
        return total
    total = User.objects.using(using).count()
    try:
        with transaction.atomic(using="default"):
            UserCount.objects.create(pk=1, total=total)
    except IntegrityError:
        pass  # another request re-created it first
    return total


def user_count(queryset) -> int:
    """`total` for a page of users: the counter for the whole table, COUNT(*)
    (through the filters' indexes) when the list is filtered."""
    return user_total(queryset.db) if not queryset.query.where else queryset.count()


class UserCountPaginator(Paginator):
    """The admin's paginator for users: the page count from `user_count`, so the
    unfiltered changelist reads the counter row instead of counting a million rows."""

    @cached_property
    def count(self):
        return user_count(self.object_list)


# --- Meet people: the member directory ---------------------------------------------

# What other members may see of someone who opted in (`show_in_directory`); nothing else.
DIRECTORY_FIELDS = (
    "id",
    "nickname",
    "first_name",
    "last_name",
    "bio",
    "is_professional",
    "linkedin_profile_url",
    "github_profile_url",
)


def directory_visible():
    """Members others may see: opted in, not locked, email verified, account open."""
    return User.objects.filter(show_in_directory=True, is_locked=False, email_verified=True, closed_at__isnull=True)


def directory_members(*, search: str = ""):
    """The member directory, by nickname, as dicts of `DIRECTORY_FIELDS` only (nothing else
    can leak into a page), searched in nickname, names and bio. One query whatever the
    page: slice it, or hand it to a Paginator (one more, the count)."""
    queryset = directory_visible()
    search = (search or "").strip()
    if search:
        queryset = queryset.filter(
            Q(nickname__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(bio__icontains=search)
        )
    return queryset.order_by("nickname").values(*DIRECTORY_FIELDS)
