"""A one-row table holding the number of users, kept exact by triggers.

PostgreSQL: statement-level triggers with transition tables, so a bulk insert
(seeding a million users) updates the row once per statement, not per row.
SQLite: row-level triggers. Both count what any client writes (the app, the
admin, `seed_users`, psql), which an application-level counter would miss.
The SQL lives in users/counting.py, which also re-creates the triggers after
any later `migrate` that dropped them.
"""

from django.db import migrations, models


def create_triggers(apps, schema_editor):
    from users.counting import ensure_triggers

    ensure_triggers(schema_editor.connection.alias)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in ("insert", "delete", "truncate"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS users_user_count_{name} ON users_user")
    else:
        for name in ("insert", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS users_user_count_{name}")


class Migration(migrations.Migration):
    dependencies = [("users", "0003_normalize_emails")]

    operations = [
        migrations.CreateModel(
            name="UserCount",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ("total", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="users_usercount_single_row")
                ]
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
