"""The embedded task queue `make run` uses: kombu's filesystem transport, made safe for a
producer and a consumer in different processes, and for a worker that is killed.

kombu's own writes a message straight into its final file, and its reader may take the file
while it is still empty (the worker then dies on a JSON error) and moves it to the system's
temporary folder, which may be another file system (a copy, not a rename). Here a message is
written under a name the reader ignores and renamed into place when complete, and the reader
claims a file by renaming it into `claimed/` beside the queue under its own name (host and
process id): atomic, so of two workers one wins.

A claim is kept until the task is acknowledged (the settings acknowledge late, after the task
ran), so a worker killed while it holds one leaves the file behind. A worker takes such claims
back into the queue (a lease): at once when the owner was a process of this machine that is no
longer running, and after CLAIM_LEASE seconds whatever the owner (another machine sharing the
folder, or a process id the system gave to another process). The task then runs again, as
Redis redelivers an unacknowledged one; the tasks are idempotent (outbox claims, fan-outs
marked done) so this sends nothing twice.

event_manager/celery.py makes `filesystem://` mean this transport.
"""

import contextlib
import os
import socket
import time
import uuid
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

PARTIAL_PREFIX = "partial-"
CLAIMED = "claimed"
OWNER_SEPARATOR = "~"
CLAIM_LEASE = 3600  # seconds; as Redis's visibility timeout (CELERY_VISIBILITY_TIMEOUT)
TAKE_BACK_EVERY = 2.0  # seconds between a consumer's looks at the claims


def _owner() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def stale(claim_name: str, *, age: float, host: str, lease: float = CLAIM_LEASE) -> bool:
    """Whether the claim file `claim_name` (`<host>.<pid>~<message>`), `age` seconds old, was left
    by a worker that stopped: its owner is a process of `host` that is not running, or the claim
    is older than `lease`."""
    owner, separator, _ = claim_name.partition(OWNER_SEPARATOR)
    if not separator:
        return age > lease
    owner_host, _, pid = owner.rpartition(".")
    if owner_host == host and pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
        return True
    return age > lease


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._claims: dict[str, str] = {}  # delivery tag -> claim file, until acknowledged
        self._no_ack_queues: set[str] = set()
        self._taken_back_at = None
        self._owner = _owner()

    @property
    def claimed_folder(self) -> str:
        return os.path.join(self.data_folder_in, CLAIMED)

    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f"{PARTIAL_PREFIX}{uuid.uuid4()}")
        with open(partial, "wb") as file:
            file.write(str_to_bytes(dumps(payload)))
        os.replace(partial, os.path.join(self.data_folder_out, name))

    def _get(self, queue):
        suffix = f".{queue}.msg"
        os.makedirs(self.claimed_folder, exist_ok=True)
        self._take_back_stale_claims()
        for name in sorted(os.listdir(self.data_folder_in)):
            if not name.endswith(suffix) or name.startswith(PARTIAL_PREFIX):
                continue
            claimed = os.path.join(self.claimed_folder, f"{self._owner}{OWNER_SEPARATOR}{name}")
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue  # another worker took it
            os.utime(claimed)  # the lease runs from the claim, not from the message's writing
            with open(claimed, "rb") as file:
                payload = loads(bytes_to_str(file.read()))
            tag = payload.get("properties", {}).get("delivery_tag")
            if queue in self._no_ack_queues or tag is None:
                os.remove(claimed)
            else:
                self._claims[tag] = claimed
            return payload
        raise Empty()

    def _take_back_stale_claims(self) -> int:
        """Move the claims of stopped workers back into the queue (see the module); how many."""
        now = time.monotonic()
        if self._taken_back_at is not None and now - self._taken_back_at < TAKE_BACK_EVERY:
            return 0
        self._taken_back_at = now
        host, wall, taken = socket.gethostname(), time.time(), 0
        for claim_name in os.listdir(self.claimed_folder):
            path = os.path.join(self.claimed_folder, claim_name)
            try:
                age = wall - os.stat(path).st_mtime
            except FileNotFoundError:
                continue
            if path in self._claims.values() or not stale(claim_name, age=age, host=host):
                continue
            message = claim_name.partition(OWNER_SEPARATOR)[2] or claim_name
            with contextlib.suppress(FileNotFoundError):  # another worker took it back first
                os.rename(path, os.path.join(self.data_folder_in, message))
                taken += 1
        return taken

    def _release(self, delivery_tag) -> None:
        claimed = self._claims.pop(delivery_tag, None)
        if claimed is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(claimed)

    def basic_consume(self, queue, no_ack, *args, **kwargs):
        if no_ack:
            self._no_ack_queues.add(queue)
        return super().basic_consume(queue, no_ack, *args, **kwargs)

    def basic_get(self, queue, no_ack=False, **kwargs):
        message = super().basic_get(queue, no_ack=no_ack, **kwargs)
        if message is not None and no_ack:
            self._release(message.delivery_tag)
        return message

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple=multiple)
        self._release(delivery_tag)

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)  # a requeued message is written again
        self._release(delivery_tag)

    def _restore(self, message):
        """An unacknowledged message given back (a worker's warm shutdown): written to the queue again."""
        super()._restore(message)
        self._release(message.delivery_tag)

    def _size(self, queue):
        suffix = f".{queue}.msg"
        return sum(1 for name in os.listdir(self.data_folder_in) if name.endswith(suffix))


class Transport(filesystem.Transport):
    Channel = Channel
