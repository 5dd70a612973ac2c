"""Settings for the test suite: the real ones, plus a test-only secret and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")

from event_manager.settings import *  # noqa: F403

# Argon2 is the production hasher (a test checks it); tests hash fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
# The suite's staff fixtures sign in to the admin without a second factor; the tests of
# two-factor sign-in (tests/mfa) turn this on.
STAFF_MFA_REQUIRED = False
