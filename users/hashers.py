"""Password hashing cost, set by the environment."""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher with its cost from ARGON2_TIME_COST,
    ARGON2_MEMORY_COST (KiB) and ARGON2_PARALLELISM. The defaults are OWASP's
    minimum (19 MiB, 2 passes, 1 lane) rather than Django's 100 MiB and 8 lanes,
    which made each login's hash the bulk of its time.

    It keeps the algorithm name `argon2`, so existing hashes verify; any hash
    made with other parameters is re-made at the user's next successful login
    (Django's `must_update`)."""

    @property
    def time_cost(self):
        return settings.ARGON2_TIME_COST

    @property
    def memory_cost(self):
        return settings.ARGON2_MEMORY_COST

    @property
    def parallelism(self):
        return settings.ARGON2_PARALLELISM
