"""Writing a fan-out's rows in bulk: recipients and their preference in one query, then one
statement per table on PostgreSQL (bulk_create elsewhere). Used by `services.notify_many`,
inside the request for a small fan-out and in the worker for a large one."""

import hashlib
import json
import uuid

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import FilteredRelation, Q

from .messages import in_app_fields
from .models import EmailStatus, Notification, NotificationPreference, OutgoingEmail
from .preferences import preference_choice
from .registry import DAILY, Kind

BATCH_SIZE = 500  # rows per INSERT with the ORM


def row_key(kind: str, recipient_id, dedupe_key: str | None) -> str | None:
    """The stored key: unique per kind, recipient and the caller's key."""
    if dedupe_key is None:
        return None
    key = f"{kind}:{recipient_id}:{dedupe_key}"
    return key if len(key) <= 255 else f"{kind}:{recipient_id}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def write_rows(*, recipients, kind: Kind, context: dict, actor, dedupe_key, now) -> list:
    """Write the in-app and outbox rows the recipients' preferences ask for; return the ids of
    the PENDING emails written (rows whose dedupe key is taken are skipped). No email is
    queued yet (`queued_at` is set once a broker accepts its task). The in-app text is
    rendered once per time zone among the recipients, so each reads times in their own zone."""
    people, choices = _recipients_and_choices(recipients, kind)
    texts = in_app_by_zone(kind, context, {zone for _, _, zone in people})
    in_app = {}  # {(title, body, link): [(user id, dedupe key)]}: one group per distinct text
    for pk, _, zone in people:
        if choices[pk].in_app:
            in_app.setdefault(texts[zone], []).append((pk, row_key(kind.key, pk, dedupe_key)))
    emails = [
        (
            uuid.uuid4(),
            pk,
            address,
            row_key(kind.key, pk, dedupe_key),
            EmailStatus.HELD if choices[pk].digest == DAILY else EmailStatus.PENDING,
        )
        for pk, address, _ in people
        if choices[pk].email
    ]
    writer = _PostgresWriter if connection.vendor == "postgresql" else _OrmWriter
    writer.notifications(in_app, kind=kind.key, actor=actor, now=now)
    return writer.emails(emails, kind=kind.key, context=context, now=now)


def in_app_by_zone(kind: Kind, context: dict, zones) -> dict:
    """{time zone: (title, body, link)}: the in-app text as a recipient in each zone reads it
    (the kind's text gets a `recipient` whose only setting is that zone)."""
    User = get_user_model()
    texts = {}
    for zone in zones:
        fields = in_app_fields(kind, {**context, "recipient": User(time_zone=zone)})
        texts[zone] = (fields["title"], fields["body"], fields["link"])
    return texts


def _recipients_and_choices(recipients, kind: Kind) -> tuple[list, dict]:
    """[(user id, email, time zone)] and {user id: Choice} for ids, users or a user queryset, in
    one query: the users joined to their preference row for this kind."""
    User = get_user_model()
    if hasattr(recipients, "values_list"):
        users = recipients.order_by()
    else:
        users = User.objects.filter(pk__in=[getattr(recipient, "pk", recipient) for recipient in recipients])
    pref = FilteredRelation("notification_preferences", condition=Q(notification_preferences__kind=kind.key))
    rows = users.annotate(pref=pref).values_list(
        "pk", "email", "time_zone", "pref__pk", "pref__email", "pref__in_app", "pref__digest"
    )
    people, choices = [], {}
    for pk, address, zone, pref_pk, email, in_app, digest in rows:
        people.append((pk, address, zone))
        row = None if pref_pk is None else NotificationPreference(email=email, in_app=in_app, digest=digest)
        choices[pk] = preference_choice(kind, row)
    return people, choices


class _OrmWriter:
    """Bulk inserts through the ORM; rows whose dedupe_key is taken are skipped."""

    @staticmethod
    def notifications(groups, *, kind, actor, now) -> None:
        objects = [
            Notification(
                recipient_id=pk,
                kind=kind,
                actor_id=getattr(actor, "pk", actor),
                dedupe_key=key,
                title=title,
                body=body,
                link=link,
            )
            for (title, body, link), rows in groups.items()
            for pk, key in rows
        ]
        Notification.objects.bulk_create(_without_existing(Notification, objects), batch_size=BATCH_SIZE)

    @staticmethod
    def emails(rows, *, kind, context, now) -> list:
        """Insert; return the ids of the PENDING rows inserted (to queue)."""
        objects = [
            OutgoingEmail(
                id=email_id,
                user_id=pk,
                to_address=address,
                kind=kind,
                context=context,
                dedupe_key=key,
                status=status,
            )
            for email_id, pk, address, key, status in rows
        ]
        objects = _without_existing(OutgoingEmail, objects)
        OutgoingEmail.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return [email.pk for email in objects if email.status == EmailStatus.PENDING]


def _without_existing(model, objects: list) -> list:
    keys = [obj.dedupe_key for obj in objects if obj.dedupe_key]
    taken = set()
    for start in range(0, len(keys), BATCH_SIZE):
        batch = keys[start : start + BATCH_SIZE]
        taken.update(model.objects.filter(dedupe_key__in=batch).values_list("dedupe_key", flat=True))
    return [obj for obj in objects if obj.dedupe_key not in taken]


class _PostgresWriter:
    """One INSERT … SELECT FROM unnest(arrays) … ON CONFLICT DO NOTHING per table.

    5,000 recipients as a few array parameters instead of 55,000 bound values,
    which the ORM's bulk_create is slow to bind (see docs/benchmarks.md).
    A taken dedupe_key skips its row, as the ORM writer does.
    """

    @staticmethod
    def _columns(model, *names):
        return ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in names)

    @classmethod
    def notifications(cls, groups, *, kind, actor, now) -> None:
        """One INSERT per distinct text (recipients in zones that read the same share one)."""
        if not groups:
            return
        pk_type = get_user_model()._meta.pk.db_type(connection)
        columns = cls._columns(
            Notification, "recipient", "kind", "title", "body", "link", "actor", "dedupe_key", "created_at"
        )
        sql = (
            f"INSERT INTO {connection.ops.quote_name(Notification._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
            f"SELECT r.pk, %s, %s, %s, %s, %s, r.key, %s "
            f"FROM unnest(%s::{pk_type}[], %s::text[]) AS r(pk, key) ON CONFLICT DO NOTHING"
        )
        with connection.cursor() as cursor:
            for (title, body, link), rows in groups.items():
                pks, keys = [pk for pk, _ in rows], [key for _, key in rows]
                cursor.execute(sql, [kind, title, body, link, getattr(actor, "pk", actor), now, pks, keys])

    @classmethod
    def emails(cls, rows, *, kind, context, now) -> list:
        if not rows:
            return []
        pk_type = get_user_model()._meta.pk.db_type(connection)
        columns = cls._columns(
            OutgoingEmail,
            *("id", "user", "to_address", "kind", "context", "dedupe_key", "status"),
            *("attempts", "last_error", "created_at"),
        )
        sql = (
            f"INSERT INTO {connection.ops.quote_name(OutgoingEmail._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
            f"SELECT r.id, r.pk, r.address, %s, %s::jsonb, r.key, r.status, 0, '', %s "
            f"FROM unnest(%s::uuid[], %s::{pk_type}[], %s::text[], %s::text[], %s::text[]) "
            f"AS r(id, pk, address, key, status) ON CONFLICT DO NOTHING RETURNING id, status"
        )
        ids, pks, addresses, keys, statuses = (list(column) for column in zip(*rows, strict=True))
        params = [kind, json.dumps(context), now, ids, pks, addresses, keys, statuses]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [email_id for email_id, status in cursor.fetchall() if status == EmailStatus.PENDING]
