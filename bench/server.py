"""gunicorn or granian serving the app in one mode (WSGI or ASGI) on a free local port, ready once
/health answers, always stopped; and the per-mode database connection settings."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT, BenchError, log

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


@dataclass(frozen=True)
class Mode:
    name: str
    app: str
    worker_class: str  # gunicorn's worker class, or the granian interface
    server: str = "gunicorn"
    threads: int = 1

    @property
    def is_asgi(self) -> bool:
        return self.app.startswith("event_manager.asgi")

    def bare(self) -> Mode:
        """The same server and workers serving bench.hello (the reference) instead of the app."""
        app = "bench.hello:asgi_app" if self.is_asgi else "bench.hello:wsgi_app"
        return Mode(f"{self.name}, bare app", app, self.worker_class, self.server, self.threads)


MODES = {
    "wsgi": Mode("WSGI", "event_manager.wsgi:application", "sync"),
    "asgi": Mode("ASGI", "event_manager.asgi:application", "uvicorn_worker.UvicornWorker"),
    "gthread": Mode("WSGI gthread", "event_manager.wsgi:application", "gthread", threads=4),
    "granian-wsgi": Mode("granian WSGI", "event_manager.wsgi:application", "wsgi", server="granian"),
    "granian-asgi": Mode("granian ASGI", "event_manager.asgi:application", "asgi", server="granian"),
}


# event_manager.asgi runs every request's synchronous work on one long-lived thread per
# process, so persistent connections (CONN_MAX_AGE) behave as under WSGI: one per worker.
# `pool` (psycopg's pool) and `close` (a connection per request) are there to compare.
ASGI_DB = {
    "persistent": {"DATABASE_POOL": "false", "CONN_MAX_AGE": "60"},
    "pool": {"DATABASE_POOL": "true"},
    "close": {"DATABASE_POOL": "false", "CONN_MAX_AGE": "0"},
}


def mode_env(name: str, args, env: dict[str, str]) -> dict[str, str]:
    return {**env, **ASGI_DB[args.asgi_db]} if MODES[name].is_asgi else env


_TRUE = {"true", "on", "ok", "y", "yes", "1"}


def db_settings_label(env: dict[str, str]) -> str:
    if env.get("DATABASE_POOL", "").strip().lower() in _TRUE:
        label = (
            f"DATABASE_POOL=true (psycopg pool, {env.get('DATABASE_POOL_MIN_SIZE', '2')}-"
            f"{env.get('DATABASE_POOL_MAX_SIZE', '10')} connections per worker)"
        )
    else:
        age = env.get("CONN_MAX_AGE", "60")
        label = "CONN_MAX_AGE=0 (a new connection per request)" if age == "0" else f"CONN_MAX_AGE={age} (persistent)"
    if env.get("DATABASE_SERVER_SIDE_BINDING", "true").strip().lower() not in _TRUE:
        return f"{label}, parameters bound client-side (DATABASE_SERVER_SIDE_BINDING=false)"
    threshold = env.get("DATABASE_PREPARE_THRESHOLD", "5").strip().lower()
    prepared = "nothing prepared" if threshold == "none" else f"prepared after {threshold} runs"
    return f"{label}, server-side binding ({prepared})"


def http_call(port: int, method: str, path: str, *, headers=None, body=None, timeout=30.0) -> tuple[int, bytes]:
    """One request to 127.0.0.1 (no proxy, no redirect following)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """gunicorn on 127.0.0.1:<free port>, in its own process group; stop() always ends it."""

    def __init__(self, mode: Mode, *, workers: int, max_requests: int, env: dict[str, str], log_path: Path):
        self.mode, self.workers, self.max_requests = mode, workers, max_requests
        self.env, self.log_path = env, log_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> GunicornServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        mode = self.mode
        if mode.server == "granian":
            env = {**self.env, "PYTHONPATH": str(ROOT)}
            cmd = [
                sys.executable, "-m", "granian", "--interface", mode.worker_class,
                "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
                "--no-ws", "--log-level", "warning", "--working-dir", str(ROOT), mode.app,
            ]  # fmt: skip
        else:
            env = {
                **self.env,
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_WORKERS": str(self.workers),
                "GUNICORN_THREADS": str(mode.threads),
                "GUNICORN_WORKER_CLASS": mode.worker_class,
                "GUNICORN_MAX_REQUESTS": str(self.max_requests),
                "GUNICORN_LOG_LEVEL": "warning",
            }
            cmd = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), mode.app]
        log(
            f"Starting {mode.server} ({mode.name}): {self.workers} x {mode.worker_class} worker(s), "
            f"{mode.threads} thread(s), on 127.0.0.1:{self.port}"
        )
        with open(self.log_path, "ab") as log_file:
            # S603 is safe here: a fixed argument list (this interpreter, the server), no shell.
            self.proc = subprocess.Popen(  # noqa: S603
                cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready(timeout=90)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = http_call(self.port, "GET", "/health", timeout=5)
                if status == 200 and self._worker_count() in (None, self.workers):
                    return
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer 200 on /health within {timeout:.0f}s:\n{self.log_tail()}")

    def _worker_count(self) -> int | None:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return None  # no /proc children file: /health answering is all we can check
        return len(children)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # graceful: the main process stops its workers
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                log("gunicorn did not stop in 35s; killing its process group")
        # The master leads its own process group (start_new_session): end any straggler of it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        log(f"Stopped {self.mode.server} ({self.mode.name})")
        self.proc = None
