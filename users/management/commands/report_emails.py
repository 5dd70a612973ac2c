"""`report_emails`: the accounts whose stored email is not in its normal form, as the
migration users.0003 reported them (it leaves them unchanged): an address that cannot be
normalised, or several accounts for one mailbox. Read-only; exits 1 when it lists any,
so it can run in CI or cron. Staff resolve each by changing or deleting an account."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from users.models import User
from users.validators import normalize_email


class Command(BaseCommand):
    help = "List accounts whose email cannot be normalised or shares a mailbox with another (read-only)."

    def handle(self, *args, **options):
        mailboxes = defaultdict(list)
        problems = 0
        for pk, email in User.objects.values_list("pk", "email").iterator(chunk_size=5000):
            try:
                mailboxes[normalize_email(email).lower()].append((pk, email))
            except ValidationError as exc:
                problems += 1
                self.stdout.write(f"NOT NORMALISED: user {pk} {email!r}: {exc.messages[0]}")
        for rows in mailboxes.values():
            if len(rows) > 1:
                problems += 1
                listed = ", ".join(f"user {pk} {email!r}" for pk, email in rows)
                self.stdout.write(f"COLLISION (one mailbox, {len(rows)} accounts): {listed}")
        if problems:
            raise CommandError(f"{problems} problem(s): change or delete the accounts listed (admin, Users).")
        self.stdout.write("Every stored email is in its normal form, one account per mailbox.")
