"""Pure helpers of the benchmark: parse wrk's output, format numbers, render Markdown.

Nothing here touches the network, the database or a subprocess, so
tests/test_bench.py can check it all.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

JSON_PREFIX = "BENCH_JSON "
NOTES_MARKER = "<!-- bench: everything below this line is hand-written and kept when the file is regenerated -->"
ERROR_KINDS = ("status", "connect", "read", "write", "timeout")
_ERROR_LABELS = {"status": "non-2xx/3xx", "connect": "connect", "read": "read", "write": "write", "timeout": "timeout"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}


def parse_duration(text: str) -> int:
    """'10s', '10', '2m', '1h' -> whole seconds (at least 1); ValueError otherwise."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 10s, 2m)")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 1:
        raise ValueError(f"duration must be at least 1s: {text!r}")
    return round(seconds)


@dataclass(frozen=True)
class WrkStats:
    """One wrk run, as reported by bench/wrk.lua's done() callback."""

    requests: int
    duration_s: float
    errors: dict[str, int]
    latency_us: dict[str, float]
    bytes: int = 0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_total(self) -> int:
        return sum(self.errors.get(kind, 0) for kind in ERROR_KINDS)

    def latency_ms(self, name: str) -> float | None:
        """A latency figure in milliseconds; None when no request completed."""
        if self.requests == 0 or name not in self.latency_us:
            return None
        return self.latency_us[name] / 1000.0


def parse_wrk_output(output: str) -> WrkStats:
    """Find the `BENCH_JSON {...}` line in wrk's stdout and turn it into WrkStats."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith(JSON_PREFIX):
            data = json.loads(line[len(JSON_PREFIX) :])
            return WrkStats(
                requests=int(data["requests"]),
                duration_s=float(data["duration_us"]) / 1e6,
                errors={kind: int(data["errors"].get(kind, 0)) for kind in ERROR_KINDS},
                latency_us={name: float(value) for name, value in data["latency_us"].items()},
                bytes=int(data.get("bytes", 0)),
            )
    raise ValueError("wrk printed no BENCH_JSON line (was it run with -s bench/wrk.lua?)")


@dataclass
class Result:
    mode: str
    endpoint: str
    stats: WrkStats
    peak_db_connections: int | None = None
    other_cpu: float | None = None  # share of the machine's CPU used by unrelated processes meanwhile
    app_cpu_s: float | None = None  # CPU seconds the server's processes used meanwhile

    @property
    def app_cpu_ms_per_request(self) -> float | None:
        if self.app_cpu_s is None or self.stats.requests == 0:
            return None
        return self.app_cpu_s * 1000 / self.stats.requests

    notes: list[str] = field(default_factory=list)


def fmt_rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def fmt_errors(stats: WrkStats) -> str:
    """'0', or the total followed by its kinds: '12 (non-2xx/3xx 10, timeout 2)'."""
    total = stats.error_total
    if total == 0:
        return "0"
    parts = [f"{_ERROR_LABELS[kind]} {stats.errors[kind]:,}" for kind in ERROR_KINDS if stats.errors.get(kind)]
    return f"{total:,} ({', '.join(parts)})"


def _results_table(columns: tuple[str, ...], results: list[Result], cells: Callable[[Result], tuple[str, ...]]) -> str:
    """A Markdown table of results: mode and endpoint on the left, then `columns`, right-aligned."""
    lines = [
        "| mode | endpoint | " + " | ".join(columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    lines += [f"| {r.mode} | `{r.endpoint}` | " + " | ".join(cells(r)) + " |" for r in results]
    return "\n".join(lines)


def _summary_cells(r: Result) -> tuple[str, ...]:
    s = r.stats
    return (
        fmt_rate(s.requests_per_second),
        fmt_ms(s.latency_ms("p50")),
        fmt_ms(s.latency_ms("p99")),
        fmt_ms(r.app_cpu_ms_per_request),
        fmt_errors(s),
    )


def _detail_cells(r: Result) -> tuple[str, ...]:
    s = r.stats
    peak = "n/a" if r.peak_db_connections is None else str(r.peak_db_connections)
    other = "n/a" if r.other_cpu is None else f"{r.other_cpu:.0%}"
    return f"{s.requests:,}", fmt_ms(s.latency_ms("p90")), fmt_ms(s.latency_ms("max")), peak, other


def render_table(results: list[Result]) -> str:
    return _results_table(("requests/s", "p50 ms", "p99 ms", "app CPU ms/req", "errors"), results, _summary_cells)


def render_details(results: list[Result]) -> str:
    columns = ("requests", "p90 ms", "max ms", "peak DB connections", "other CPU")
    return _results_table(columns, results, _detail_cells)


def render_document(
    *, title: str, facts: list[tuple[str, str]], results: list[Result], how_to_run: str, instrumentation: str = ""
) -> str:
    """The generated part of docs/benchmarks.md (everything above the notes marker)."""
    parts = [f"# {title}", ""]
    parts += [f"- **{name}**: {value}" for name, value in facts]
    parts += ["", "## Results", "", render_table(results), ""]
    parts += [
        "App CPU ms/req: the CPU time (user + system, from /proc) of the server's processes — "
        "its main process and workers, PostgreSQL not included — while the scenario ran, divided by "
        "the requests wrk completed. "
        "Errors are wrk's counters: responses with a status of 400 or more (`Non-2xx or 3xx responses`), "
        "plus connect, read, write and timeout errors. Each scenario's first request is checked "
        "beforehand for a 2xx answer, so 3xx answers cannot hide in the numbers either.",
        "",
        "### Details",
        "",
        render_details(results),
        "",
        "Peak DB connections: the most client connections to the benchmark database seen in "
        "`pg_stat_activity` (sampled every 0.5 s) while the scenario ran. Other CPU: the share of the "
        "machine's CPU time that went to processes other than gunicorn, wrk, PostgreSQL and the bench "
        "itself while the scenario ran (from /proc; approximate): well above 0% means something else "
        "competed for the CPUs and the numbers are low.",
        "",
        *([instrumentation, ""] if instrumentation else []),
        "## How to run",
        "",
        how_to_run.strip(),
        "",
    ]
    return "\n".join(parts)


def kept_notes(existing: str | None) -> str | None:
    """The hand-written tail of an earlier docs/benchmarks.md (from the marker on), if any."""
    if not existing or NOTES_MARKER not in existing:
        return None
    return existing[existing.index(NOTES_MARKER) :].rstrip() + "\n"


def join_document(generated: str, notes: str | None) -> str:
    body = generated.rstrip() + "\n"
    if notes:
        body += "\n" + notes
    return body


def mask_url_password(url: str) -> str:
    """postgres://user:secret@host/db -> postgres://user:***@host/db."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^:/@]+):[^@/]*@", r"\1:***@", url, flags=re.IGNORECASE)


# --- The instrumentation's cost (bench.instrumentation) ---------------------------------

INSTRUMENTATION_GOAL_US = 100.0  # issue 17: under 0.1 ms per request
INSTRUMENTATION_START = "<!-- bench: instrumentation -->"
INSTRUMENTATION_END = "<!-- bench: /instrumentation -->"


@dataclass(frozen=True)
class ABSummary:
    """CPU µs per request with the instrumentation on and off, from requests served in pairs."""

    pairs: int
    on_us: float  # median of the rounds' mean CPU per request
    off_us: float
    diff_us: float  # median of the pairs' (on - off)
    ci_low_us: float  # its 95% confidence interval
    ci_high_us: float
    q1_us: float  # interquartile range of the pairs' differences
    q3_us: float


def median_ci(values: list[float], z: float = 1.96) -> tuple[float, float]:
    """A distribution-free confidence interval of the median (order statistics, normal
    approximation of the binomial): the k-th smallest and k-th largest of `values`."""
    ordered = sorted(values)
    n = len(ordered)
    k = int((n - z * n**0.5) / 2)
    if k < 1:
        return ordered[0], ordered[-1]
    return ordered[k - 1], ordered[n - k]


def summarize_ab(on_us: list[float], off_us: list[float], diffs_us: list[float]) -> ABSummary:
    """Rounds' means with the instrumentation on and off, and every pair's difference."""
    if not on_us or len(on_us) != len(off_us) or not diffs_us:
        raise ValueError("on and off need the same number of rounds (at least one), and pairs")
    low, high = median_ci(diffs_us)
    q1, q3 = statistics.quantiles(diffs_us, n=4, method="inclusive")[::2] if len(diffs_us) > 1 else diffs_us * 2
    return ABSummary(
        len(diffs_us),
        statistics.median(on_us),
        statistics.median(off_us),
        statistics.median(diffs_us),
        low,
        high,
        q1,
        q3,
    )


@dataclass(frozen=True)
class InstrumentationRun:
    """One variant (multiprocess files or in memory): each endpoint's A/B, and the code alone."""

    variant: str
    endpoints: dict[str, ABSummary]
    observe_us: float  # observe_request alone, per request
    per_query_us: float  # the query counter alone, per query

    @classmethod
    def from_json(cls, variant: str, data: dict) -> InstrumentationRun:
        endpoints = {
            name: summarize_ab(ab["on_us"], ab["off_us"], ab["diffs_us"]) for name, ab in data["endpoints"].items()
        }
        alone = data["alone_us"]
        return cls(variant, endpoints, float(alone["observe_request"]), float(alone["per_query"]))


def fmt_us(value: float) -> str:
    return f"{value:+.1f}" if abs(value) < 100 else f"{value:+,.0f}"


def instrumentation_verdict(runs: list[InstrumentationRun]) -> str:
    """Whether every endpoint's difference is under the goal, by its confidence interval."""
    highs = [ab.ci_high_us for run in runs for ab in run.endpoints.values()]
    medians = [ab.diff_us for run in runs for ab in run.endpoints.values()]
    if not highs:
        return "not measured"
    if max(highs) < INSTRUMENTATION_GOAL_US:
        return f"under the goal: every 95% interval ends below {INSTRUMENTATION_GOAL_US:.0f} µs"
    if max(medians) < INSTRUMENTATION_GOAL_US:
        return "inconclusive: every median is under the goal, but not every interval (too much noise: more rounds)"
    return "NOT under the goal"


def render_instrumentation(runs: list[InstrumentationRun], *, requests: int, load: str, date: str = "") -> str:
    """The "Cost of the instrumentation" section, between its markers."""
    lines = [
        INSTRUMENTATION_START,
        "## Cost of the instrumentation",
        "",
        *([f"- **Date**: {date}"] if date else []),
        f"- **Machine load**: {load}",
        "",
        "| variant | endpoint | CPU µs/req, metrics on | off | difference µs/req (median) | 95% interval "
        "| spread (IQR of pairs) | pairs |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for name, ab in run.endpoints.items():
            lines.append(
                f"| {run.variant} | `{name}` | {ab.on_us:,.0f} | {ab.off_us:,.0f} | {fmt_us(ab.diff_us)} | "
                f"{fmt_us(ab.ci_low_us)} to {fmt_us(ab.ci_high_us)} | {fmt_us(ab.q1_us)} to {fmt_us(ab.q3_us)} "
                f"| {ab.pairs:,} |"
            )
    lines += [
        "",
        "The instrumentation's own code alone (best of 5 runs of 20,000 calls): "
        + "; ".join(
            f"{run.variant}: `observe_request` {run.observe_us:.1f} µs a request, the query counter "
            f"{run.per_query_us:.2f} µs a query"
            for run in runs
        )
        + ".",
        "",
        f"Goal (issue 17): under {INSTRUMENTATION_GOAL_US:.0f} µs (0.1 ms) a request. Verdict: "
        f"{instrumentation_verdict(runs)}. Measured in one `manage.py shell` process through Django's "
        "WSGIHandler and the whole middleware stack, against the bench database: two handlers, METRICS_ENABLED "
        "on and off (off: no request metrics, no query counter on the connection), serving requests in pairs "
        f"(on then off, or off then on, alternating; {requests} pairs a round), each timed by the CPU time of "
        "the serving thread; each pair's on - off is one sample. Only this phase: "
        '`make bench BENCH_ARGS="--instrumentation-only"` (no wrk, no seeding; '
        "`--instrumentation-rounds`, `--instrumentation-requests`).",
        INSTRUMENTATION_END,
    ]
    return "\n".join(lines)


def replace_instrumentation(document: str, section: str) -> str:
    """`document` with its instrumentation section replaced by `section` (or inserted before
    "## How to run", else before the notes marker, else at the end)."""
    if INSTRUMENTATION_START in document and INSTRUMENTATION_END in document:
        start = document.index(INSTRUMENTATION_START)
        end = document.index(INSTRUMENTATION_END) + len(INSTRUMENTATION_END)
        return document[:start] + section + document[end:]
    for anchor in ("## How to run", NOTES_MARKER):
        if anchor in document:
            at = document.index(anchor)
            return document[:at] + section + "\n\n" + document[at:]
    return document.rstrip() + "\n\n" + section + "\n"
