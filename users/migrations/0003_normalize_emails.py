"""Rewrite stored emails into their normal form (users.validators.normalize_email) and
report, without merging or deleting anything, the rows it cannot rewrite:

- an address that cannot be normalised (an invisible character, a mixed-script
  domain): left as it is; such an account can no longer log in (a lookup never
  matches it) until staff change its email or delete it;
- several rows whose addresses normalise to one mailbox (`a@bücher.de` and
  `a@xn--bcher-kva.de`): all left as they are; logins reach the row already in
  normal form, if any. Staff decide which account keeps the mailbox.

The report is printed; `manage.py report_emails` prints it again later (read-only)."""

import sys
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import migrations

from users.validators import normalize_email


def normalize_stored_emails(apps, schema_editor, out=None):
    out = out or sys.stdout
    User = apps.get_model("users", "User")
    mailboxes = defaultdict(list)
    refused = []
    for pk, email in User.objects.using(schema_editor.connection.alias).values_list("pk", "email").iterator(5000):
        try:
            normal = normalize_email(email)
        except ValidationError as exc:
            refused.append((pk, email, exc.messages[0]))
        else:
            mailboxes[normal.lower()].append((pk, email, normal))
    rewritten = 0
    collisions = []
    for rows in mailboxes.values():
        if len(rows) > 1:
            collisions.append(rows)
            continue
        pk, email, normal = rows[0]
        if email != normal:
            User.objects.using(schema_editor.connection.alias).filter(pk=pk).update(email=normal)
            rewritten += 1
    if rewritten or refused or collisions:
        out.write(f"\n  users.0003: {rewritten} email(s) rewritten to their normal form.\n")
    for pk, email, reason in refused:
        out.write(f"  users.0003: NOT NORMALISED, left unchanged: user {pk} {email!r}: {reason}\n")
    for rows in collisions:
        listed = ", ".join(f"user {pk} {email!r}" for pk, email, _ in rows)
        out.write(f"  users.0003: COLLISION, left unchanged (one mailbox, {len(rows)} accounts): {listed}\n")
    if refused or collisions:
        out.write("  users.0003: resolve these in the admin; `manage.py report_emails` lists them again.\n")


class Migration(migrations.Migration):
    dependencies = [("users", "0002_cache_table")]

    operations = [migrations.RunPython(normalize_stored_emails, migrations.RunPython.noop, elidable=True)]
