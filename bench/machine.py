"""Facts about the machine and software for the report, and CPU sampling from /proc."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import resource
import subprocess
import time
from pathlib import Path

from bench.database import Database, pg_server_version


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Fraction of the machine's CPU time spent busy over `seconds` (from /proc/stat)."""

    def snapshot() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    try:
        idle0, total0 = snapshot()
        time.sleep(seconds)
        idle1, total1 = snapshot()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total > 0 else None


class CpuMeter:
    """Splits the machine's CPU time during a scenario into ours and others'.

    Ours: the gunicorn process group, PostgreSQL's processes, this process, and the
    waited-for children (wrk). Others: everything else busy meanwhile. From /proc.
    `app`: the CPU seconds of the server alone (its main process and workers), for the
    app's CPU per request.
    """

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.other: float | None = None
        self.app: float | None = None

    @staticmethod
    def _machine() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return sum(values) - values[3] - values[4], sum(values)  # busy, total

    @staticmethod
    def _jiffies(pid: int, *, reaped_children: bool) -> int | None:
        """utime + stime, plus those of exited children it reaped (cutime + cstime) if asked."""
        try:
            fields = [int(v) for v in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:15]]
        except (OSError, IndexError, ValueError):
            return None
        return sum(fields) if reaped_children else fields[0] + fields[1]

    def _server(self, ours: dict[int, int]) -> int:
        return sum(j for pid, j in ours.items() if pid in self._server_pids)

    def _ours(self) -> dict[int, int]:
        # PostgreSQL and gunicorn with their reaped children (a backend or worker that ended
        # meanwhile is charged to its parent); this process without (wrk: RUSAGE_CHILDREN).
        ours = {os.getpid(): self._jiffies(os.getpid(), reaped_children=False)}
        self._server_pids = getattr(self, "_server_pids", set()) | {self.server_pid}
        ours[self.server_pid] = self._jiffies(self.server_pid, reaped_children=True)
        for proc_dir in Path("/proc").iterdir():
            if not proc_dir.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                worker = int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[2]) == self.server_pid
                if worker:
                    self._server_pids.add(int(proc_dir.name))
                if worker or (proc_dir / "comm").read_text().strip() == "postgres":
                    ours[int(proc_dir.name)] = self._jiffies(int(proc_dir.name), reaped_children=True)
        return {pid: jiffies for pid, jiffies in ours.items() if jiffies is not None}

    def __enter__(self) -> CpuMeter:
        try:
            self._start = (self._machine(), self._ours(), resource.getrusage(resource.RUSAGE_CHILDREN))
        except (OSError, ValueError):
            self._start = None
        return self

    def __exit__(self, *exc_info) -> None:
        if self._start is None or exc_info[0] is not None:
            return
        try:
            (busy0, total0), ours0, usage0 = self._start
            (busy1, total1), ours1 = self._machine(), self._ours()
            usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        except (OSError, ValueError):
            return
        ticks = os.sysconf("SC_CLK_TCK")
        children = (usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime) * ticks
        ours = sum(j - ours0.get(pid, 0) for pid, j in ours1.items()) + children
        self.app = (self._server(ours1) - self._server(ours0)) / ticks
        if total1 > total0:
            self.other = min(max((busy1 - busy0 - ours) / (total1 - total0), 0.0), 1.0)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return "unknown RAM"


def _wrk_version(wrk: str) -> str:
    # S603 is safe here: wrk found by shutil.which, fixed arguments, no shell.
    proc = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)  # noqa: S603
    first = (proc.stdout or proc.stderr).splitlines()[:1]
    return first[0].split(" [")[0].replace("wrk ", "") if first else "unknown"


def machine_facts(wrk: str, db: Database) -> list[tuple[str, str]]:
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    http_impl = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop_impl = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return [
        ("Machine", f"{nproc} CPUs ({_cpu_model()}), {_memory_gib()}, {platform.system()} {platform.release()}"),
        (
            "Software",
            f"Python {platform.python_version()}, Django {_version('django')}, "
            f"DRF {_version('djangorestframework')}, gunicorn {_version('gunicorn')}, "
            f"uvicorn {_version('uvicorn')} + uvicorn-worker {_version('uvicorn-worker')} "
            f"(HTTP parser {http_impl}, event loop {loop_impl}), psycopg {_version('psycopg')}, "
            f"PostgreSQL {pg_server_version(db)}, wrk {_wrk_version(wrk)}",
        ),
    ]


def load_now() -> str:
    """The machine's load as the report shows it beside a measurement."""
    busy = cpu_busy(1.0)
    one, five, _ = os.getloadavg()
    busy_text = "n/a" if busy is None else f"{busy:.0%}"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs; CPU busy {busy_text}"
