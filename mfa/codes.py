"""Recovery codes: ten random codes of 10 characters (50 bits each), shown once.

Stored as SHA-256 of `<user id>:<code>`: a fast hash is enough for random 50-bit
secrets (unlike passwords, they cannot be guessed from a dictionary), and lets a
code be found, and spent, by one indexed DELETE. The user id keeps two users'
equal codes from sharing a hash.
"""

import hashlib
import secrets

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l, o, 0, 1
LENGTH = 10
COUNT = 10


def new_codes(count: int = COUNT) -> list[str]:
    """Codes as shown: `xxxxx-xxxxx`."""
    codes = set()
    while len(codes) < count:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        codes.add(f"{raw[:5]}-{raw[5:]}")
    return sorted(codes)


def normalise(code: str) -> str:
    """What the user typed, as stored: lower case, without spaces or dashes."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def code_hash(user_id, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{normalise(code)}".encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise(code)) == LENGTH
