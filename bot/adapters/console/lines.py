"""Lines from a text stream, read without blocking the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Protocol, TextIO


class LineSource(Protocol):
    """Where the console's lines come from."""

    def start(self) -> None:
        """Begin reading; called once the event loop runs."""
        ...

    async def next(self) -> str | None:
        """The next line without its newline, or None at the end of input."""
        ...


class LineReader:
    """Reads `stream` on a daemon thread; `next()` returns a line, or None at end of input.

    A daemon thread (not the loop's executor) because a blocking read on a terminal cannot be
    interrupted, and shutdown must not wait for the user to press Enter.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(
            target=self._pump, args=(loop,), name="console-input", daemon=True
        )
        self._thread.start()

    def _pump(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            for line in self._stream:
                loop.call_soon_threadsafe(self._queue.put_nowait, line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass  # the stream was closed under us: treat it as the end of input
        finally:
            # If the loop is already closed, nobody is waiting for the end any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def next(self) -> str | None:
        return await self._queue.get()
