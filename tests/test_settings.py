import functools
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

import event_manager.settings as production
from users.models import User

from .factories import PASSWORD

REPO_ROOT = django_settings.BASE_DIR
CONFIG_VARIABLES = (
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "DATABASE_POOL",
    "DATABASE_SERVER_SIDE_BINDING",
    "DATABASE_PREPARE_THRESHOLD",
    "CONN_MAX_AGE",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
)

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
db_keys = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS")
email_keys = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS")
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DATABASE": {key: db.get(key) for key in db_keys},
    "EMAIL": {key: getattr(settings, key, None) for key in email_keys},
}, default=str))
"""


def run_python(args, **env):
    """Run `python <args>` from the repository root with the production settings and
    only the configuration variables given in `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    environment["DJANGO_SETTINGS_MODULE"] = "event_manager.settings"
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@functools.cache
def production_settings(**env):
    """The production settings read in a fresh process with `env` (cached: settings do not change)."""
    env.setdefault("SECRET_KEY", "a-test-secret-key-for-reading-settings-0123456789")
    result = run_python(["-c", PRINT_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- SECRET_KEY -----------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_check_fails_cleanly_without_secret_key_when_debug_off(secret):
    env = {"DEBUG": "false"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = run_python(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0]
    assert "System check" not in result.stdout


def test_check_passes_without_secret_key_when_debug_on():
    result = run_python(["manage.py", "check"], DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_passes_with_secret_key_when_debug_off():
    result = run_python(["manage.py", "check"], DEBUG="false", SECRET_KEY="a-real-looking-secret-0123456789-abcdef")
    assert result.returncode == 0, result.stderr


def test_debug_defaults_to_off():
    assert production_settings()["DEBUG"] is False


# --- password hashing -------------------------------------------------------------------


def test_production_hasher_is_argon2():
    assert production.PASSWORD_HASHERS[0] == "users.hashers.Argon2idPasswordHasher"


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2id_at_owasp_cost(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = User.objects.create_user("argon@example.com", PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_argon2_cost_follows_settings(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    settings.ARGON2_TIME_COST, settings.ARGON2_MEMORY_COST = 3, 32768
    user = User.objects.create_user("argon@example.com", PASSWORD)
    assert "$m=32768,t=3,p=1$" in user.password


@pytest.mark.django_db
def test_hash_made_with_other_parameters_is_upgraded_at_next_login(settings):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from users.services import user_login

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    old_hash = Argon2PasswordHasher().encode(PASSWORD, "saltsaltsaltsalt")  # Django's 100 MiB, 8 lanes
    user = User.objects.create_user("argon@example.com", PASSWORD, email_verified=True, role="AUTHENTICATED")
    User.objects.filter(pk=user.pk).update(password=old_hash)

    user_login(email="argon@example.com", password=PASSWORD)

    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "variable, value", [("ARGON2_TIME_COST", "1"), ("ARGON2_MEMORY_COST", "8192"), ("ARGON2_PARALLELISM", "0")]
)
def test_argon2_below_owasp_minimum_is_refused(variable, value):
    result = run_python(["-c", "import django; django.setup()"], **{variable: value, "DEBUG": "true"})
    assert result.returncode != 0
    assert "OWASP" in result.stderr + result.stdout


def test_test_suite_uses_a_fast_hasher(settings):
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- DATABASE_URL ---------------------------------------------------------------------------


def test_database_defaults_to_sqlite():
    db = production_settings()["DATABASE"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"].endswith("db.sqlite3")


def test_postgres_database_url():
    db = production_settings(DATABASE_URL="postgres://events:s3cret@db.example.com:5433/event_manager")["DATABASE"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], str(db["PORT"])) == (
        "event_manager",
        "events",
        "s3cret",
        "db.example.com",
        "5433",
    )
    assert db["CONN_MAX_AGE"] > 0
    # No SELECT 1 before each request; a broken connection is replaced after the
    # request that saw it (tests/integration/test_http_flows.py shows it).
    assert db["CONN_HEALTH_CHECKS"] is False
    assert "pool" not in (db["OPTIONS"] or {})


def test_postgres_conn_max_age_from_environment():
    db = production_settings(DATABASE_URL="postgresql://u@db/name", CONN_MAX_AGE="300")["DATABASE"]
    assert db["CONN_MAX_AGE"] == 300


def test_postgres_pool_turns_persistent_connections_off():
    db = production_settings(DATABASE_URL="postgres://u@db/name", DATABASE_POOL="true")["DATABASE"]
    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10}
    assert db["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"server_side_binding": True, "prepare_threshold": 5}),
        ({"DATABASE_SERVER_SIDE_BINDING": "false"}, {}),
        ({"DATABASE_SERVER_SIDE_BINDING": "true"}, {"server_side_binding": True, "prepare_threshold": 5}),
        (
            {"DATABASE_SERVER_SIDE_BINDING": "true", "DATABASE_PREPARE_THRESHOLD": "0"},
            {"server_side_binding": True, "prepare_threshold": 0},
        ),
        (
            {"DATABASE_SERVER_SIDE_BINDING": "true", "DATABASE_PREPARE_THRESHOLD": "none"},
            {"server_side_binding": True, "prepare_threshold": None},
        ),
        # The threshold alone changes nothing: without the binding psycopg prepares nothing.
        ({"DATABASE_SERVER_SIDE_BINDING": "false", "DATABASE_PREPARE_THRESHOLD": "0"}, {}),
    ],
    ids=["default", "off", "on", "on-threshold-0", "on-never-prepare", "off-threshold-ignored"],
)
def test_postgres_server_side_binding_from_environment(env, expected):
    db = production_settings(DATABASE_URL="postgres://u@db/name", **env)["DATABASE"]
    options = db["OPTIONS"] or {}
    assert {key: options[key] for key in ("server_side_binding", "prepare_threshold") if key in options} == expected


@pytest.mark.parametrize("value", ["-1", "five", "1.5"])
def test_a_bad_prepare_threshold_is_a_one_line_configuration_error(value):
    result = run_python(
        ["manage.py", "check"],
        SECRET_KEY="a-test-secret-key-for-reading-settings-0123456789",
        DATABASE_URL="postgres://u@db/name",
        DATABASE_PREPARE_THRESHOLD=value,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "DATABASE_PREPARE_THRESHOLD" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_postgres_server_side_binding_with_the_pool():
    db = production_settings(
        DATABASE_URL="postgres://u@db/name", DATABASE_POOL="true", DATABASE_SERVER_SIDE_BINDING="true"
    )["DATABASE"]
    assert db["OPTIONS"] == {
        "pool": {"min_size": 2, "max_size": 10},
        "server_side_binding": True,
        "prepare_threshold": 5,
    }


@pytest.mark.parametrize("binding", ["true", "false"])
def test_the_replica_binds_as_the_primary_does(binding):
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.DATABASES[alias].get('OPTIONS') for alias in ('default', 'replica')]))"
    )
    result = run_python(
        ["-c", script],
        SECRET_KEY="a-test-secret-key-for-reading-settings-0123456789",
        DATABASE_URL="postgres://u@primary/db",
        DATABASE_REPLICA_URL="postgres://u@replica.example.com/db",
        DATABASE_SERVER_SIDE_BINDING=binding,
    )
    assert result.returncode == 0, result.stderr
    primary, replica = json.loads(result.stdout)
    expected = {"server_side_binding": True, "prepare_threshold": 5} if binding == "true" else {}
    assert (primary or {}) == replica == expected


def test_sqlite_ignores_server_side_binding():
    db = production_settings(DATABASE_SERVER_SIDE_BINDING="true")["DATABASE"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert "server_side_binding" not in db["OPTIONS"]


# --- EMAIL_URL -------------------------------------------------------------------------------


def test_email_defaults_to_console():
    assert production_settings()["EMAIL"]["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_smtp_email_url():
    email = production_settings(EMAIL_URL="smtp://mail.example.com:2525")["EMAIL"]
    assert email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (email["EMAIL_HOST"], email["EMAIL_PORT"]) == ("mail.example.com", 2525)


def test_smtp_tls_email_url_with_credentials():
    email = production_settings(EMAIL_URL="smtp+tls://mailer:p4ss@smtp.example.com:587")["EMAIL"]
    assert email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (email["EMAIL_HOST"], email["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert (email["EMAIL_HOST_USER"], email["EMAIL_HOST_PASSWORD"], email["EMAIL_USE_TLS"]) == ("mailer", "p4ss", True)


def test_a_read_replica_serves_the_lists_when_configured():
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'aliases': sorted(settings.DATABASES), 'list': settings.LIST_DATABASE, "
        "'replica': settings.DATABASES.get('replica', {}).get('HOST'), "
        "'mirror': settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR')}))"
    )
    secret = {"SECRET_KEY": "a-test-secret-key-for-reading-settings-0123456789"}
    plain = run_python(["-c", "import django; django.setup(); " + script], **secret)
    replica = run_python(
        ["-c", "import django; django.setup(); " + script],
        DATABASE_URL="postgres://u@primary/db",
        DATABASE_REPLICA_URL="postgres://u@replica.example.com/db",
        **secret,
    )

    assert json.loads(plain.stdout) == {"aliases": ["default"], "list": "default", "replica": None, "mirror": None}
    assert json.loads(replica.stdout) == {
        "aliases": ["default", "replica"],
        "list": "replica",
        "replica": "replica.example.com",
        "mirror": "default",
    }


@pytest.mark.parametrize(
    ("https", "expected"),
    [("true", set()), ("false", {"security.W004", "security.W008", "security.W016"})],
)
def test_deploy_checks_see_the_async_capable_middleware(https, expected):
    """The subclassed Security/CSRF/X-Frame middleware count as installed: no W001-W003, and
    the HSTS, redirect and cookie checks judge the real settings instead of passing vacuously."""
    result = run_python(
        ["manage.py", "check", "--deploy"],
        SECRET_KEY="a-deploy-check-secret-key-that-is-long-and-random-looking-0123456789",
        HTTPS=https,
        ALLOWED_HOSTS="example.com",
    )
    found = set(re.findall(r"security\.W\d{3}", result.stdout + result.stderr))
    assert not found & {"security.W001", "security.W002", "security.W003"}
    assert expected <= found if expected else not found, result.stdout + result.stderr
