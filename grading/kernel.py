"""One fix to nbclient's kernel client, for `make execute` (scripts/execute_notebooks.py)."""

from __future__ import annotations

import time
from queue import Empty


def poll_shell_replies_in_slices(kc, slice_s: float = 0.25):
    """Make ``kc`` wait for shell replies in short polls; returns ``kc``.

    With ipykernel 7 the execute_reply can arrive after the kernel's idle status; the
    asyncio zmq poll then sometimes misses the wake-up and sits out the whole cell timeout
    before reading a reply that was already there (seen here: a widget cell "taking" 600 s).
    Polling in slices re-checks the socket, so the reply is read at once; the caller's
    timeout still holds.
    """
    channel = kc.shell_channel
    get_msg = channel.get_msg

    async def sliced_get_msg(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = slice_s if deadline is None else max(0.0, min(slice_s, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = sliced_get_msg
    return kc
