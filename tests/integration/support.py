"""Real processes for the integration tests: gunicorn instances, a Celery worker, a
loopback SMTP server, and a small stdlib HTTP client that talks to them.

Every wait here is bounded; every address is 127.0.0.1.
"""

import contextlib
import email
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
POSTGRES_ADMIN_DSN = f"host={HOST} port=5432 user=postgres dbname=postgres connect_timeout=3"
POSTGRES_URL = f"postgres://postgres@{HOST}:5432"
REDIS_URL = f"redis://{HOST}:6379"

PASSWORD = "Integr4tion!Secret"
ADMIN_EMAIL = "it.admin@example.com"
ADMIN_PASSWORD = "Adm1n!Integr4tion"
MAX_LOGIN_ATTEMPTS = 3
STARTUP_TIMEOUT = 30
DELIVERY_TIMEOUT = 20

# Only these are inherited; DATABASE_URL, DJANGO_SETTINGS_MODULE=tests.settings and
# anything else the test run exported never reach the processes under test.
INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")

VERIFY_LINK = re.compile(r"https?://[^/\s\"<>]+/verify-email/[0-9a-f-]{36}/[0-9A-Za-z-]+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, step: float = 0.2):
    """Poll `condition` until it is truthy or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


@contextlib.contextmanager
def smtp_server(mailbox):
    """An SMTP server on a free loopback port delivering into `mailbox` (its `port` set)."""
    controller = Controller(mailbox, hostname=HOST, port=free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


def app_env(**settings: str) -> dict[str, str]:
    """The environment of every process under test: production settings, nothing inherited."""
    env = {name: os.environ[name] for name in INHERITED_ENV if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="event_manager.settings",
        SECRET_KEY="integration-tests-secret-key-0f3c9a7e5b1d4c2a8e6f0b9d7c5a3e1f",
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS=f"{HOST},localhost",
        MAX_LOGIN_ATTEMPTS=str(MAX_LOGIN_ATTEMPTS),
        AUTH_THROTTLE_RATE="none",
        PYTHONUNBUFFERED="1",
        GUNICORN_WORKERS="2",
        GUNICORN_GRACEFUL_TIMEOUT="5",
    )
    env.update(settings)
    return env


def shell(env: dict[str, str], code: str, timeout: float = 120) -> str:
    """Run `code` in `manage.py shell` (another process); its standard output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def last_line(output: str) -> str:
    lines = output.strip().splitlines()
    return lines[-1] if lines else ""


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> None:
    """Run a management command; fail with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


# --- Processes ----------------------------------------------------------------

RUNNING: list["Process"] = []


class Process:
    """A child process in its own session, its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        RUNNING.append(self)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def describe(self) -> str:
        return f"--- {self.name} (log {self.log_path}) ---\n{self.tail()}"

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def wait_for_log(self, pattern: str, timeout: float) -> re.Match:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = regex.search(self.log())
            if match:
                return match
            if self.exited():
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.describe()}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: no {pattern!r} in the log after {timeout}s:\n{self.describe()}")

    def terminate(self) -> None:
        """Ask for a graceful shutdown (SIGTERM) without waiting for it."""
        if not self.exited():
            self.popen.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL to the process group if it lingers. Safe to call twice."""
        if self._log.closed:
            return
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout)
        # Whatever is left of the group (the master's workers) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout)
        self._log.close()
        if self in RUNNING:
            RUNNING.remove(self)


# --- HTTP ---------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)

    def __str__(self):
        return f"{self.status} {self.body[:500]!r}"


@dataclass
class Server:
    """One gunicorn instance."""

    name: str
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def request(self, method, path, *, json_body=None, form=None, token=None, timeout=15.0) -> Response:
        headers = {"Accept": "application/json"}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.exited():
                raise RuntimeError(f"{self.name} exited ({self.process.popen.returncode}):\n{self.process.describe()}")
            with contextlib.suppress(OSError):
                if self.get("/health", timeout=2).status == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: /health not 200 after {timeout}s:\n{self.process.describe()}")


GUNICORN_APPS = {
    "wsgi": ("event_manager.wsgi:application", "sync"),
    "asgi": ("event_manager.asgi:application", "uvicorn_worker.UvicornWorker"),
}


def start_server(kind: str, env: dict[str, str], log_dir: Path, *, port: int | None = None, label: str = "") -> Server:
    """Start gunicorn with deploy/gunicorn.conf.py; the caller waits with `wait_healthy`."""
    app, worker_class = GUNICORN_APPS[kind]
    port = port or free_port()
    name = f"gunicorn-{kind}{label}"
    env = {**env, "GUNICORN_BIND": f"{HOST}:{port}", "GUNICORN_WORKER_CLASS": worker_class}
    args = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", app]
    return Server(kind, port, Process(name, args, env, log_dir / f"{name}.log"))


def start_worker(env: dict[str, str], log_dir: Path) -> Process:
    args = [sys.executable, "-m", "celery", "-A", "event_manager", "worker", "-l", "info"]
    args += ["--pool", "solo", "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    args += ["-n", f"it-{secrets.token_hex(3)}@%h"]
    return Process("celery-worker", args, env, log_dir / "celery-worker.log")


def wait_worker_ready(worker: Process) -> None:
    worker.wait_for_log(r"\S+@\S+ ready\.", STARTUP_TIMEOUT)


def celery_call(env: dict[str, str], task: str, *args) -> str:
    """Send a task through the broker as `celery call` does; return its id."""
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "event_manager", "call", task, "--args", json.dumps(list(args))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"celery call failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


# --- Mail ---------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.port: int | None = None
        self._received: list[tuple[list[str], EmailMessage]] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._changed:
            self._received.append(([rcpt.lower() for rcpt in envelope.rcpt_tos], message))
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self._changed:
            return [message for rcpts, message in self._received if address.lower() in rcpts]

    def wait_for(self, address: str, timeout: float = DELIVERY_TIMEOUT) -> EmailMessage:
        with self._changed:
            if not self._changed.wait_for(lambda: self.messages_to(address), timeout):
                raise TimeoutError(f"no email to {address} within {timeout}s")
            return self.messages_to(address)[0]


def verification_link(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = VERIFY_LINK.search(text)
    assert match, f"no verification link in:\n{text}"
    return match.group(0)


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- Redis --------------------------------------------------------------------

CLAIM_KEY = "event_manager:integration-tests:claim"


@dataclass
class RedisDatabases:
    """Hands out empty Redis databases, one per use, and flushes them afterwards.

    A database is taken by setting a claim key with NX in an empty one, so two test
    runs at once (SQLite and PostgreSQL suites in parallel) never share one.
    """

    claimed: list[int] = field(default_factory=list)

    def _client(self, number: int) -> redis.Redis:
        return redis.Redis.from_url(f"{REDIS_URL}/{number}", socket_timeout=3, socket_connect_timeout=3)

    def claim(self) -> str:
        token = secrets.token_hex(8)
        for number in range(1, 16):
            client = self._client(number)
            if client.set(CLAIM_KEY, token, nx=True, ex=3600):
                if client.dbsize() == 1:
                    self.claimed.append(number)
                    return f"{REDIS_URL}/{number}"
                client.delete(CLAIM_KEY)
        raise RuntimeError("no empty Redis database among 1-15")

    def release(self, url: str) -> None:
        number = int(url.rsplit("/", 1)[1])
        self._client(number).flushdb()
        self.claimed.remove(number)

    def release_all(self) -> None:
        for number in list(self.claimed):
            self.release(f"{REDIS_URL}/{number}")


# --- The running stack ----------------------------------------------------------


@dataclass
class Stack:
    """A WSGI and an ASGI instance and a Celery worker sharing one PostgreSQL
    database, one Redis and one SMTP server; emails link to the WSGI instance."""

    env: dict[str, str]
    wsgi: Server
    asgi: Server
    worker: Process
    mailbox: Mailbox
    database_url: str

    @property
    def base_url(self) -> str:
        return self.env["SERVER_BASE_URL"]

    def server(self, kind: str) -> Server:
        return {"wsgi": self.wsgi, "asgi": self.asgi}[kind]


def new_email(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(4)}@example.com"


def register(server: Server, address: str) -> dict:
    response = server.request("POST", "/register/", json_body={"email": address, "password": PASSWORD})
    assert response.status == 201, response
    return response.json()


def login(server: Server, address: str, password: str = PASSWORD) -> Response:
    """The OAuth2 password form, as Swagger's Authorize button sends it."""
    return server.request("POST", "/login/", form={"username": address, "password": password})


def token_for(server: Server, address: str, password: str = PASSWORD) -> str:
    response = login(server, address, password)
    assert response.status == 200, response
    return response.json()["access_token"]


def register_and_verify(stack: Stack, server: Server, prefix: str) -> tuple[dict, str]:
    """Register on `server`, follow the emailed link on the same server; return (user, email)."""
    address = new_email(prefix)
    user = register(server, address)
    link = verification_link(stack.mailbox.wait_for(address))
    response = server.get(path_of(link))
    assert response.status == 200, response
    return user, address
