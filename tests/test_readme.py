"""The README, walked through as a newcomer would: its shell blocks, in order, against a live
server set up as `make run` sets one up (migrated, the demo admin, seeded events, DEBUG on).

Every ```sh, ```bash or ```console block in README.md sits right under one marker:

    <!-- readme-test: run -->                 run as written
    <!-- readme-test: paste NAME (how) -->    run, its `NAME=…` line holding what a reader
                                              pastes there (see PASTES)
    <!-- readme-test: skip (reason) -->       never run: serves until stopped, needs Docker, …

A shell block without one fails `test_every_shell_block_is_classified`. The blocks share one
shell state, as in a terminal (variables, exports and functions carry over), each runs under
`set -e -o pipefail`, and every curl in them is `curl -fsS`, so a 4xx or 5xx fails its block.
Two rewrites point the commands at the test's server: `localhost:8000` becomes its address,
`.venv/bin/python` the interpreter running the suite. Each block is a test of its own; skipped
blocks are reported as skipped with their reason (`-ra` lists them).
"""

import contextlib
import re
import secrets
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.integration.support import (
    INHERITED_ENV,
    ROOT,
    VERIFY_LINK,
    Server,
    app_env,
    free_port,
    manage,
    start_server,
)

README = ROOT / "README.md"
SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
RUNNABLE = {"run", "paste"}
README_ADDRESS = "localhost:8000"
MARKER = re.compile(r"<!-- readme-test: (?P<kind>run|paste|skip)\b(?P<note>.*?)\s*-->")
MARKER_FORMS = "<!-- readme-test: run | paste NAME (how) | skip (reason) -->"
FENCE = re.compile(r"(?P<fence>`{3,}|~{3,})(?P<lang>[^`\s]*)")
# What `make run` does before it serves (checked against the Makefile below).
MAKE_RUN_STEPS = (("migrate", "--noinput"), ("create_demo_admin",), ("seed_events", "--if-empty"))
BLOCK_TIMEOUT = 60
EMAIL_TIMEOUT = 10

# Around each block: the state of the blocks before it comes in, its own goes out (every
# variable and function bash did not start with, except bash's own).
PROLOGUE = """\
__readme_known=" $(compgen -v | tr '\\n' ' ') "
source "$README_TEST_STATE"
set -e -o pipefail
"""
EPILOGUE = """
set +e
{
  for __readme_name in $(compgen -v); do
    case "$__readme_known" in *" $__readme_name "*) continue ;; esac
    case "$__readme_name" in __readme_* | BASH_* | _) continue ;; esac
    declare -p "$__readme_name"
  done
  declare -f
} >"$README_TEST_STATE"
"""


@dataclass(frozen=True)
class Block:
    number: int
    line: int
    lang: str
    kind: str | None
    note: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.number:02d}-line{self.line}-{self.kind or 'unclassified'}"

    @property
    def paste_name(self) -> str:
        return self.note.split()[0] if self.kind == "paste" and self.note else ""

    def script(self) -> str:
        """The commands: a ```console block's `$ ` lines (and their continuations)."""
        if self.lang != "console":
            return self.text
        commands, continued = [], False
        for line in self.text.splitlines():
            if continued or line.startswith("$ "):
                command = line if continued else line[2:]
                commands.append(command)
                continued = command.endswith("\\")
        return "\n".join(commands) + "\n"


def parse(text: str) -> tuple[list[Block], list[str]]:
    """The shell blocks of a Markdown text, and what is wrong with its fences and markers."""
    lines = text.splitlines()
    blocks, problems, index = [], [], 0
    while index < len(lines):
        opening = FENCE.fullmatch(lines[index].strip())
        if not opening:
            if MARKER.fullmatch(lines[index].strip()):
                following = FENCE.fullmatch(lines[index + 1].strip()) if index + 1 < len(lines) else None
                if not following or following["lang"].lower() not in SHELL_LANGUAGES:
                    problems.append(f"line {index + 1}: a readme-test marker that is not right above a shell block")
            index += 1
            continue
        end = next((i for i in range(index + 1, len(lines)) if lines[i].strip() == opening["fence"]), len(lines))
        lang = opening["lang"].lower()
        if not lang:
            problems.append(f"line {index + 1}: a code block without a language (```sh, ```python, …)")
        if lang in SHELL_LANGUAGES:
            marker = MARKER.fullmatch(lines[index - 1].strip()) if index else None
            blocks.append(
                Block(
                    number=len(blocks) + 1,
                    line=index + 1,
                    lang=lang,
                    kind=marker["kind"] if marker else None,
                    note=marker["note"].strip() if marker else "",
                    text="\n".join(lines[index + 1 : end]) + "\n",
                )
            )
        index = end + 1
    return blocks, problems


BLOCKS, FENCE_PROBLEMS = parse(README.read_text())


# --- What a reader pastes -------------------------------------------------------


def _verification_link(walk: "Walk") -> str:
    """The link in the last verification email the server printed (the console backend)."""
    deadline = time.monotonic() + EMAIL_TIMEOUT
    while time.monotonic() < deadline:
        links = VERIFY_LINK.findall(walk.server.process.log())
        if links:
            return links[-1]
        time.sleep(0.1)
    raise AssertionError(f"no verification link in the server's output:\n{walk.server.process.tail()}")


PASTES = {"VERIFY_LINK": _verification_link}


# --- The live server and the shell state ------------------------------------------


@contextlib.contextmanager
def fresh_database(directory: Path):
    """A new, empty database of the suite's kind (DATABASE_URL picks): a SQLite file, or a
    PostgreSQL database on the suite's server, dropped afterwards."""
    from django.conf import settings

    config = settings.DATABASES["default"]
    if config["ENGINE"].endswith("sqlite3"):
        yield f"sqlite:///{directory / 'db.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    params = {key: config[key.upper()] for key in ("host", "port", "user", "password") if config.get(key.upper())}
    name = f"event_manager_readme_{secrets.token_hex(4)}"
    with psycopg.connect(dbname="postgres", connect_timeout=5, autocommit=True, **params) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        credentials = quote(params.get("user", ""), safe="")
        if params.get("password"):
            credentials += ":" + quote(params["password"], safe="")
        address = quote(params.get("host", "localhost"), safe="") + (f":{params['port']}" if "port" in params else "")
        yield f"postgres://{credentials}@{address}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", connect_timeout=5, autocommit=True, **params) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class Walk:
    """The README's runnable blocks, run in order on demand, sharing one shell state."""

    server: Server
    env: dict[str, str]
    directory: Path
    outcomes: dict[int, subprocess.CompletedProcess] = field(default_factory=dict)
    failed: Block | None = None

    def script_for(self, block: Block) -> str:
        script = block.script().replace(README_ADDRESS, f"localhost:{self.server.port}")
        script = re.sub(r"(?<![\w./-])\.venv/bin/python\b", sys.executable, script)
        if block.paste_name:
            line = re.compile(rf"^{block.paste_name}=.*$", re.MULTILINE)
            assert len(line.findall(script)) == 1, f"block {block.number} pastes into one `{block.paste_name}=` line"
            value = PASTES[block.paste_name](self)
            script = line.sub(lambda _: f"{block.paste_name}={shlex.quote(value)}", script)
        return script

    def run_through(self, target: Block) -> subprocess.CompletedProcess:
        for block in BLOCKS:
            if block.kind not in RUNNABLE or block.number in self.outcomes:
                continue
            if self.failed:
                pytest.skip(f"block {self.failed.number} (line {self.failed.line}) failed; later blocks use its state")
            self.outcomes[block.number] = self._run(block)
            if self.outcomes[block.number].returncode != 0:
                self.failed = block
            if block is target:
                break
        return self.outcomes[target.number]

    def _run(self, block: Block) -> subprocess.CompletedProcess:
        path = self.directory / f"block-{block.number:02d}.sh"
        path.write_text(PROLOGUE + self.script_for(block) + EPILOGUE)
        log_before = len(self.server.process.log())
        outcome = subprocess.run(
            ["bash", "--noprofile", "--norc", str(path)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
        )
        server_output = self.server.process.log()[log_before:]
        if outcome.returncode == 0 and ("Traceback" in server_output or re.search(r"status=5\d\d", server_output)):
            outcome.returncode, outcome.stderr = -1, outcome.stderr + "\nThe server logged an error:\n" + server_output
        return outcome


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    directory = tmp_path_factory.mktemp("readme")
    with fresh_database(directory) as database_url:
        port = free_port()
        # As `make run`: DEBUG on, so the dev secret key, and the default throttle.
        env = app_env(DATABASE_URL=database_url, DEBUG="true", SERVER_BASE_URL=f"http://localhost:{port}")
        for name in ("SECRET_KEY", "AUTH_THROTTLE_RATE"):
            env.pop(name)
        for step in MAKE_RUN_STEPS:
            manage(env, *step)
        server = start_server("wsgi", env, directory, port=port)
        try:
            server.wait_healthy()
            # The reader's shell: no DEBUG and no SECRET_KEY; DATABASE_URL stands for `make run`'s db.sqlite3.
            shell_env = {name: env[name] for name in INHERITED_ENV if name in env}
            shell_env |= {"DATABASE_URL": database_url, "README_TEST_STATE": str(directory / "state.sh")}
            (directory / "state.sh").write_text("")
            yield Walk(server=server, env=shell_env, directory=directory)
        finally:
            server.process.stop()


# --- The tests ----------------------------------------------------------------------


def test_every_shell_block_is_classified():
    problems = list(FENCE_PROBLEMS)
    for block in BLOCKS:
        where = f"README.md block {block.number} (line {block.line})"
        if block.kind is None:
            problems.append(f"{where}: no `{MARKER_FORMS}` right above it")
        elif block.kind == "skip" and not re.fullmatch(r"\(.+\)", block.note):
            problems.append(f"{where}: a skip says why, in parentheses")
        elif block.kind == "paste" and block.paste_name not in PASTES:
            problems.append(f"{where}: pastes {block.paste_name!r}; the test knows how to paste {sorted(PASTES)}")
    assert not problems, "\n".join(problems)
    assert any(block.kind in RUNNABLE for block in BLOCKS)


def test_curl_calls_fail_on_http_errors():
    """`curl -fsS` exits non-zero on a 4xx or 5xx, so a block whose call fails, fails."""
    lenient = [
        f"block {block.number} (line {block.line}): {match.group(0)!r}"
        for block in BLOCKS
        if block.kind in RUNNABLE
        for match in re.finditer(r"(?<![\w-])curl(?![\w-]) *\S*", block.script())
        if match.group(0) != "curl -fsS"
    ]
    assert not lenient, "use `curl -fsS` in runnable blocks:\n" + "\n".join(lenient)


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_stay_in_the_repository_and_anchors_exist():
    text = README.read_text()
    prose = re.sub(r"^(`{3,}).*?^\1$", "", text, flags=re.MULTILINE | re.DOTALL)
    anchors = {_slug(heading) for heading in re.findall(r"^#{1,6} (.+)$", prose, re.MULTILINE)}
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        if path and not (README.parent / path).resolve().is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif path and not (README.parent / path).exists():
            broken.append(f"{target}: no such file")
        elif not path and anchor not in anchors:
            broken.append(f"{target}: no such heading")
    assert not broken, "\n".join(broken)


def test_the_walk_starts_where_make_run_leaves_off():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^run: install.*?\n\n", makefile, re.MULTILINE | re.DOTALL)
    assert recipe, "no `run: install` target in the Makefile"
    for step in MAKE_RUN_STEPS:
        assert f"$(MANAGE) {' '.join(step)}" in recipe.group(0), f"`make run` no longer runs {step}"


@pytest.mark.integration
@pytest.mark.parametrize("block", [block for block in BLOCKS if block.kind != "skip"], ids=lambda block: block.id)
def test_readme_block(block, request):
    """Every block not marked skip (those are checked for their reason above) runs and succeeds."""
    if block.kind is None:
        pytest.fail(f"README.md block {block.number} (line {block.line}) is not classified", pytrace=False)
    walk = request.getfixturevalue("walk")
    outcome = walk.run_through(block)
    assert outcome.returncode == 0, (
        f"README.md block {block.number} (line {block.line}) failed ({outcome.returncode}):\n"
        f"{walk.script_for(block) if block.kind == 'run' else block.text}\n"
        f"--- stdout ---\n{outcome.stdout[-3000:]}\n--- stderr ---\n{outcome.stderr[-3000:]}\n"
        f"--- server ---\n{walk.server.process.tail(30)}"
    )
