"""The embedded task queue `make run` uses: kombu's filesystem transport, made safe for a
producer and a consumer in different processes.

kombu's own writes a message straight into its final file, and its reader may take the file
while it is still empty (the worker then dies on a JSON error) and moves it to the system's
temporary folder, which may be another file system (a copy, not a rename). Here a message is
written under a name the reader ignores and renamed into place when complete, and the reader
claims a file by renaming it into `claimed/` beside the queue (atomic: of two workers, one
wins). A message a worker took and died with is gone from the folder: the outbox's sweep sends
its emails again (notifications.services.outbox), as it does for a lost Redis message.

event_manager/celery.py makes `filesystem://` mean this transport.
"""

import os
import uuid
from queue import Empty
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

PARTIAL_PREFIX = "partial-"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f"{PARTIAL_PREFIX}{uuid.uuid4()}")
        with open(partial, "wb") as file:
            file.write(str_to_bytes(dumps(payload)))
        os.replace(partial, os.path.join(self.data_folder_out, name))

    def _get(self, queue):
        suffix = f".{queue}.msg"
        claimed_folder = os.path.join(self.data_folder_in, "claimed")
        os.makedirs(claimed_folder, exist_ok=True)
        for name in sorted(os.listdir(self.data_folder_in)):
            if not name.endswith(suffix) or name.startswith(PARTIAL_PREFIX):
                continue
            claimed = os.path.join(claimed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue  # another worker took it
            with open(claimed, "rb") as file:
                payload = file.read()
            os.remove(claimed)
            return loads(bytes_to_str(payload))
        raise Empty()

    def _size(self, queue):
        suffix = f".{queue}.msg"
        return sum(1 for name in os.listdir(self.data_folder_in) if name.endswith(suffix))


class Transport(filesystem.Transport):
    Channel = Channel
