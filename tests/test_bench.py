"""The benchmark tool's pure parts: parsing wrk's output, options, the Markdown report. No network."""

import pytest

from bench import cli, database, load, report, server

WRK_STDOUT = """\
Running 10s test @ http://127.0.0.1:40123/users/0b6c
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     9.80ms    3.10ms  61.20ms   88.00%
    Req/Sec   410.00     40.00   500.00     70.00%
  8200 requests in 10.00s, 12.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    819.95
Transfer/sec:      1.20MB
BENCH_JSON {"requests": 8200, "duration_us": 10000600, "bytes": 12582912, \
"errors": {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 2}, \
"latency_us": {"min": 2100, "p50": 9400, "p90": 13000, "p99": 24750, "max": 61200, "mean": 9800.5}}
"""


def stats(**overrides):
    values = {
        "requests": 1000,
        "duration_s": 10.0,
        "errors": dict.fromkeys(report.ERROR_KINDS, 0),
        "latency_us": {"p50": 1234.0, "p90": 2000.0, "p99": 45678.0, "max": 123456.0},
    }
    values.update(overrides)
    return report.WrkStats(**values)


def test_parse_wrk_output_reads_the_json_line():
    parsed = report.parse_wrk_output(WRK_STDOUT)
    assert parsed.requests == 8200
    assert parsed.duration_s == pytest.approx(10.0006)
    assert parsed.requests_per_second == pytest.approx(819.95, abs=0.01)
    assert parsed.errors == {"status": 3, "connect": 0, "read": 1, "write": 0, "timeout": 2}
    assert parsed.error_total == 6
    assert parsed.latency_ms("p50") == pytest.approx(9.4)
    assert parsed.latency_ms("p99") == pytest.approx(24.75)


def test_parse_wrk_output_without_the_json_line_fails():
    with pytest.raises(ValueError, match="BENCH_JSON"):
        report.parse_wrk_output("Running 10s test @ http://127.0.0.1:1/\nRequests/sec: 1.0\n")


def test_no_completed_request_has_no_latency():
    assert stats(requests=0).latency_ms("p50") is None
    assert report.fmt_ms(None) == "n/a"


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10), ("10", 10), (" 2m ", 120), ("1h", 3600), ("1500ms", 2)])
def test_parse_duration(text, seconds):
    assert report.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten", "10x", "-5s", "0s", "200ms"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        report.parse_duration(text)


def test_number_formats():
    assert report.fmt_rate(2.04) == "2.0"
    assert report.fmt_rate(1234.4) == "1,234"
    assert report.fmt_ms(1.234) == "1.23"
    assert report.fmt_ms(45.678) == "45.7"
    assert report.fmt_ms(1234.5) == "1,234"


def test_fmt_errors_names_the_kinds():
    assert report.fmt_errors(stats()) == "0"
    errors = {**dict.fromkeys(report.ERROR_KINDS, 0), "status": 1200, "timeout": 2}
    assert report.fmt_errors(stats(errors=errors)) == "1,202 (non-2xx/3xx 1,200, timeout 2)"


def test_render_table():
    results = [
        report.Result("WSGI", "GET /users/{id}", stats()),
        report.Result(
            "ASGI",
            "POST /login/ (form)",
            stats(requests=25, duration_s=10.0),
            peak_db_connections=4,
            other_cpu=0.05,
            app_cpu_s=0.75,
        ),
    ]
    lines = report.render_table(results).splitlines()
    assert lines[0] == "| mode | endpoint | requests/s | p50 ms | p99 ms | app CPU ms/req | errors |"
    assert lines[1] == "|---|---|---:|---:|---:|---:|---:|"
    assert lines[2] == "| WSGI | `GET /users/{id}` | 100 | 1.23 | 45.7 | n/a | 0 |"
    assert lines[3] == "| ASGI | `POST /login/ (form)` | 2.5 | 1.23 | 45.7 | 30.0 | 0 |"
    details = report.render_details(results).splitlines()
    assert details[2].endswith("| n/a | n/a |") and details[3].endswith("| 4 | 5% |")


def test_app_cpu_per_request():
    assert report.Result("WSGI", "x", stats(requests=400), app_cpu_s=1.0).app_cpu_ms_per_request == 2.5
    assert report.Result("WSGI", "x", stats(requests=0), app_cpu_s=1.0).app_cpu_ms_per_request is None
    assert report.Result("WSGI", "x", stats()).app_cpu_ms_per_request is None


def test_document_keeps_hand_written_notes():
    generated = report.render_document(
        title="Benchmarks",
        facts=[("Workers", "2")],
        results=[report.Result("WSGI", "GET /users/{id}", stats())],
        how_to_run="make bench",
    )
    assert generated.startswith("# Benchmarks\n\n- **Workers**: 2\n")
    assert "## Results" in generated and "make bench" in generated
    old = "# Benchmarks\n\nold numbers\n\n" + report.NOTES_MARKER + "\n\n## Interpretation\n\nWSGI wins.\n"
    notes = report.kept_notes(old)
    assert notes.startswith(report.NOTES_MARKER) and "WSGI wins." in notes
    document = report.join_document(generated, notes)
    assert "old numbers" not in document
    assert document.endswith("WSGI wins.\n")
    assert report.kept_notes("# no marker here") is None
    assert report.join_document(generated, None) == generated.rstrip() + "\n"


def test_mask_url_password():
    assert report.mask_url_password("postgres://u:s3cret@db:5432/x") == "postgres://u:***@db:5432/x"
    assert report.mask_url_password("postgresql://postgres@127.0.0.1/x") == "postgresql://postgres@127.0.0.1/x"


def test_options_and_database_settings():
    args = cli.parse_args([])
    assert (args.duration_s, args.connections, args.threads, args.workers) == (10, 8, 2, 2)
    assert args.mode_list == ["wsgi", "asgi"] and args.users == 100_000 and args.asgi_db == "persistent"
    assert not args.keepalive and args.max_requests == 0 and args.timeout_s == 10
    assert (args.churn, args.autovacuum_wait_s) == (3_000, 90)
    assert cli.parse_args(["--churn", "0", "--autovacuum-wait", "2m"]).autovacuum_wait_s == 120
    with pytest.raises(SystemExit):
        cli.parse_args(["--churn", "-1"])
    assert cli.parse_args(["--warmup", "0", "--modes", "ASGI"]).mode_list == ["asgi"]
    assert cli.parse_args(["--modes", "gthread,granian-wsgi,granian-asgi"]).mode_list == [
        "gthread",
        "granian-wsgi",
        "granian-asgi",
    ]
    with pytest.raises(SystemExit):
        cli.parse_args(["--modes", "wsgi,fastcgi"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--connections", "1", "--threads", "2"])
    base = {"CONN_MAX_AGE": "60"}
    assert server.mode_env("wsgi", args, base) == base
    assert server.mode_env("asgi", args, base)["CONN_MAX_AGE"] == "60"
    assert server.mode_env("granian-asgi", cli.parse_args(["--asgi-db", "pool"]), base)["DATABASE_POOL"] == "true"
    assert server.mode_env("granian-wsgi", args, base) == base
    assert server.db_settings_label({}) == "CONN_MAX_AGE=60 (persistent), server-side binding (prepared after 5 runs)"
    assert server.db_settings_label({"DATABASE_PREPARE_THRESHOLD": "none"}).endswith("(nothing prepared)")
    assert server.db_settings_label({"DATABASE_SERVER_SIDE_BINDING": "false"}).endswith(
        "parameters bound client-side (DATABASE_SERVER_SIDE_BINDING=false)"
    )
    assert server.db_settings_label({"CONN_MAX_AGE": "0"}).startswith("CONN_MAX_AGE=0")
    assert server.db_settings_label({"DATABASE_POOL": "true"}).startswith("DATABASE_POOL=true")
    assert database._libpq_uri("postgres://u@h/db") == "postgresql://u@h/db"


# --- The instrumentation's cost ----------------------------------------------------------


def test_median_ci_is_taken_from_order_statistics():
    values = list(range(100))  # n=100: k = int((100 - 19.6) / 2) = 40 -> the 40th smallest and largest
    assert report.median_ci(values) == (39, 60)
    assert report.median_ci([5.0, 1.0, 3.0]) == (1.0, 5.0)  # too few for k >= 1: the whole range


def test_summarize_ab_pairs_on_and_off():
    ab = report.summarize_ab([110.0, 130.0, 120.0], [100.0, 105.0, 101.0], [4.0, -2.0, 6.0, 8.0, 5.0])
    assert (ab.pairs, ab.on_us, ab.off_us, ab.diff_us) == (5, 120.0, 101.0, 5.0)
    assert (ab.q1_us, ab.q3_us) == (4.0, 6.0)
    assert (ab.ci_low_us, ab.ci_high_us) == (-2.0, 8.0)
    one = report.summarize_ab([10.0], [9.0], [1.0])
    assert (one.diff_us, one.q1_us, one.q3_us) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        report.summarize_ab([1.0], [], [1.0])
    with pytest.raises(ValueError):
        report.summarize_ab([1.0], [1.0], [])


def instrumentation_run(variant, diffs):
    data = {
        "endpoints": {"GET /health": {"on_us": [1010.0, 1020.0], "off_us": [1000.0, 1004.0], "diffs_us": diffs}},
        "alone_us": {"observe_request": 9.61, "per_query": 0.113},
    }
    return report.InstrumentationRun.from_json(variant, data)


def test_instrumentation_section_and_verdict():
    under = instrumentation_run("multiprocess", [float(d % 20) for d in range(200)])
    noisy = instrumentation_run("in memory", [float(d) for d in range(-20, 200)])  # median 89.5, CI to 105
    over = instrumentation_run("in memory", [250.0] * 10)
    assert under.endpoints["GET /health"].on_us == 1015.0 and under.observe_us == 9.61
    assert report.instrumentation_verdict([under]).startswith("under the goal")
    assert report.instrumentation_verdict([under, noisy]).startswith("inconclusive")
    assert report.instrumentation_verdict([under, over]) == "NOT under the goal"
    assert report.instrumentation_verdict([]) == "not measured"
    section = report.render_instrumentation([under], requests=200, load="load average 1.00")
    assert section.startswith(report.INSTRUMENTATION_START) and section.endswith(report.INSTRUMENTATION_END)
    assert "- **Machine load**: load average 1.00" in section
    assert "| multiprocess | `GET /health` | 1,015 | 1,002 | +9.5 | +8.0 to +11.0 | +4.8 to +14.2 | 200 |" in section
    assert "`observe_request` 9.6 µs a request, the query counter 0.11 µs a query" in section
    assert "--instrumentation-only" in section
    assert "- **Date**" not in section
    assert "- **Date**: 2026-12-05 23:15 UTC\n" in report.render_instrumentation(
        [under], requests=1, load="x", date="2026-12-05 23:15 UTC"
    )


def test_instrumentation_section_replaced_or_inserted():
    new = f"{report.INSTRUMENTATION_START}\nnew\n{report.INSTRUMENTATION_END}"
    old = f"# B\n\n{report.INSTRUMENTATION_START}\nold\n{report.INSTRUMENTATION_END}\n\n## How to run\n"
    assert report.replace_instrumentation(old, new) == f"# B\n\n{new}\n\n## How to run\n"
    assert report.replace_instrumentation("# B\n\n## How to run\nx\n", new) == f"# B\n\n{new}\n\n## How to run\nx\n"
    with_notes = f"# B\n\n{report.NOTES_MARKER}\nnotes\n"
    assert report.replace_instrumentation(with_notes, new) == f"# B\n\n{new}\n\n{report.NOTES_MARKER}\nnotes\n"
    assert report.replace_instrumentation("# B\n", new) == f"# B\n\n{new}\n"
    generated = report.render_document(title="B", facts=[], results=[], how_to_run="make bench", instrumentation=new)
    assert generated.index(new) < generated.index("## How to run")


def test_instrumentation_options():
    args = cli.parse_args([])
    assert (args.instrumentation_only, args.instrumentation_rounds, args.instrumentation_requests) == (False, 15, 200)
    args = cli.parse_args(["--instrumentation-only", "--instrumentation-rounds", "3"])
    assert args.instrumentation_only and args.instrumentation_rounds == 3
    with pytest.raises(SystemExit):
        cli.parse_args(["--instrumentation-requests", "0"])


def test_the_bare_reference_runs_on_the_same_server_and_workers():
    for name, mode in server.MODES.items():
        bare = mode.bare()
        assert (bare.server, bare.worker_class, bare.threads) == (mode.server, mode.worker_class, mode.threads), name
        assert bare.app == ("bench.hello:asgi_app" if mode.is_asgi else "bench.hello:wsgi_app"), name


def test_the_apps_share_of_the_bare_app_is_reported_per_mode():
    def run(mode, app_requests, bare_requests):
        results = [report.Result(mode.name, "GET /users/{id}", stats(requests=app_requests))]
        if bare_requests:
            results.append(report.Result(mode.name, load.BARE_ENDPOINT, stats(requests=bare_requests)))
        return load.ModeRun(mode, results, None, "")

    runs = [run(server.MODES["wsgi"], 13_830, 141_000), run(server.MODES["asgi"], 9_270, 0)]
    assert cli.bare_shares(runs) == "WSGI 9.8% (1,383 of 14,100 req/s)"
    assert cli.bare_shares([]) == ""


def test_the_bare_apps_answer_ok():
    import asyncio

    from bench import hello

    started = []
    assert hello.wsgi_app({}, lambda status, headers: started.append((status, headers))) == [b"ok"]
    assert started == [("200 OK", [("content-type", "text/plain"), ("content-length", "2")])]
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    asyncio.run(hello.asgi_app({"type": "http"}, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"ok"
