"""The embedded Celery broker: kombu's filesystem transport, with messages that appear whole.

kombu writes a message straight under its final name, so a consumer polling the folder can
take the file between its creation and its first byte: it then reads an empty message, fails
to decode it, and the message is gone (a screening task lost, or a control reply). Here a
message is written under a name no consumer picks up, then renamed into place, which is
atomic within one folder.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.json import dumps

# The setting that selects this transport for a filesystem:// broker URL (Celery's broker_transport).
TRANSPORT = "config.broker:FilesystemTransport"
# Consumers take only files named ``<anything>.<queue>.msg``; this name never matches.
PARTIAL_SUFFIX = ".partial"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put a message on ``queue``: written in full under a hidden name, then renamed into place."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}{PARTIAL_SUFFIX}")
        try:
            with open(partial, "wb", buffering=0) as file:
                file.write(dumps(payload).encode())
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class FilesystemTransport(filesystem.Transport):
    Channel = Channel
