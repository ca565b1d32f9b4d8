"""Keeping the garbage collector off what start-up built, for as long as Chorus runs.

Modules, table definitions, catalogues, the core and the platform clients live as long as
the process: hundreds of thousands of objects. Every full collection walks them all, and on
a small server that pauses the event loop for tens of milliseconds, in the middle of
whatever members are doing (200 stories shared at once wait behind it). Frozen once start-up
is done, they are left out of every later collection; what is built afterwards is collected
as usual.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def startup_frozen() -> Iterator[None]:
    """Within the block, what exists on entry is never walked by the collector again."""
    gc.collect()  # what start-up left as garbage goes now, not into the frozen set
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
