"""The embedded queue (core.queue) in-process, through kombu as Celery uses it: a claim is kept
until the message is acknowledged, and the claims of a worker that stopped are taken back."""

import os
import socket
import subprocess
import sys
import time
from queue import Empty

import pytest
from kombu import Connection

from core import queue

NAME = "tasks"


@pytest.fixture
def folder(tmp_path):
    return tmp_path


@pytest.fixture
def connect(folder):
    queue.Transport.global_state.clear()  # kombu keeps the filesystem bindings per process, not per folder
    opened = []

    def connect():
        options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(folder)}
        conn = Connection(transport="core.queue:Transport", transport_options=options)
        opened.append(conn)
        return conn.SimpleQueue(NAME)

    yield connect
    for conn in opened:
        conn.release()


def claims(folder) -> list[str]:
    return sorted(os.listdir(folder / queue.CLAIMED))


def waiting(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(f".{NAME}.msg"))


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_claim_is_kept_until_the_message_is_acknowledged(connect, folder):
    tasks = connect()
    tasks.put({"n": 1})
    message = tasks.get(timeout=1)
    assert message.payload == {"n": 1}
    assert waiting(folder) == []
    [claim] = claims(folder)
    assert claim.startswith(f"{socket.gethostname()}.{os.getpid()}{queue.OWNER_SEPARATOR}")
    message.ack()
    assert claims(folder) == []


def test_a_requeued_message_is_delivered_again_once(connect, folder):
    tasks = connect()
    tasks.put({"n": 2})
    tasks.get(timeout=1).requeue()
    assert claims(folder) == [] and len(waiting(folder)) == 1
    again = tasks.get(timeout=1)
    assert again.payload == {"n": 2}
    again.ack()
    assert claims(folder) == [] and waiting(folder) == []


def _strand(folder, connect, owner: str) -> str:
    """A message claimed by `owner` and never acknowledged (its worker was killed)."""
    tasks = connect()
    tasks.put({"n": 3})
    tasks.get(timeout=1)  # claimed here, not acknowledged
    [claim] = [name for name in claims(folder) if name.startswith(f"{socket.gethostname()}.{os.getpid()}~")]
    stranded = owner + queue.OWNER_SEPARATOR + claim.partition(queue.OWNER_SEPARATOR)[2]
    os.rename(folder / queue.CLAIMED / claim, folder / queue.CLAIMED / stranded)
    return stranded


def test_a_new_worker_takes_back_the_claim_of_a_process_that_is_gone(connect, folder):
    _strand(folder, connect, f"{socket.gethostname()}.{dead_pid()}")
    message = connect().get(timeout=2)
    assert message.payload == {"n": 3}
    message.ack()
    assert claims(folder) == [] and waiting(folder) == []


def test_a_live_workers_claim_is_left_until_its_lease_runs_out(connect, folder):
    stranded = _strand(folder, connect, f"{socket.gethostname()}.{os.getppid()}")  # a running process
    other_host = _strand(folder, connect, f"elsewhere.example.{os.getpid()}")
    with pytest.raises(Empty):
        connect().get(timeout=0.5)
    assert claims(folder) == sorted([stranded, other_host])

    expired = time.time() - queue.CLAIM_LEASE - 1
    os.utime(folder / queue.CLAIMED / other_host, (expired, expired))
    message = connect().get(timeout=2)
    assert message.payload == {"n": 3}
    assert stranded in claims(folder) and other_host not in claims(folder)


@pytest.mark.parametrize(
    ("name", "age", "expected"),
    [
        ("host.1~m.tasks.msg", 10, False),  # pid 1 runs (init)
        ("host.1~m.tasks.msg", queue.CLAIM_LEASE + 1, True),
        ("other.99999999~m.tasks.msg", 10, False),  # another machine: only the lease tells
        ("host.99999999~m.tasks.msg", 10, True),  # no such process here
        ("m.tasks.msg", 10, False),  # no owner: only the lease
    ],
)
def test_stale(name, age, expected):
    assert queue.stale(name, age=age, host="host") is expected
