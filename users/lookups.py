"""Users by primary key without building a query each time: the hot path of every
authenticated request (the token's user, read for revocation) and of GET /users/{id}.

The statement is the ORM's own (`User.objects.defer("password").filter(pk__in=...)`),
compiled once per database and number of ids, then run with new ids; rows become
users as the ORM makes them (`Model.from_db`, the backend's converters). Building and
compiling the query was about half of such a request's CPU (docs/benchmarks.md).
"""

import functools
import uuid

from django.db import DEFAULT_DB_ALIAS, connections

from .models import User


@functools.cache
def _statement(alias: str, count: int):
    """(sql, attnames, converters per column) for `count` ids on database `alias`."""
    queryset = User.objects.defer("password").filter(pk__in=[uuid.UUID(int=i) for i in range(count)])
    compiler = queryset.query.get_compiler(using=alias)
    sql, _params = compiler.as_sql()
    columns = [expression for expression, _sql, _alias in compiler.select]
    converters = compiler.get_converters(columns)
    return sql, [column.target.attname for column in columns], converters


def users_by_pk(ids, *, using: str = DEFAULT_DB_ALIAS) -> dict:
    """{pk: User} for those of `ids` that exist (without their password hash)."""
    ids = list(dict.fromkeys(ids))
    sql, attnames, converters = _statement(using, len(ids))
    connection = connections[using]
    params = [User._meta.pk.get_db_prep_value(pk, connection) for pk in ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    users = {}
    for row in rows:
        values = list(row)
        for index, (funcs, expression) in converters.items():
            value = values[index]
            for func in funcs:
                value = func(value, expression, connection)
            values[index] = value
        user = User.from_db(using, attnames, values)
        users[user.pk] = user
    return users


def user_by_pk(pk, *, using: str = DEFAULT_DB_ALIAS) -> User | None:
    """One user by primary key (a `uuid.UUID`), or None."""
    return users_by_pk([pk], using=using).get(pk)
