"""Parts of a build that its two processes take in turn: each takes the next part nobody has taken.

A build makes part of the site in a forked child (:meth:`publish.staging.Staging.fork`). What
each process makes first is fixed -- this process the catalogue and the files it describes, the
child each resource's RDF documents -- and the rest is shared: the pages a few resources at a
time, the list pages, search, the pictures and the history, each taken by whichever process is
free. So both end together at any size of site: the fixed split they had ended together at 100k
triples but left the child idle for half of a rebuild of the real data.

The parts are numbered before the fork; the numbers wait in a pipe, four bytes each, and a
process takes a part by reading four bytes. A read from a pipe is atomic, so two processes never
take one part and no lock is held (a process killed while holding a lock would stop the other
for ever). :meth:`Shares.rest` gives the parts this process did not take: the other process's,
for when it died without its record. Where the pipe cannot hold every number, the parts are not
shared: this process takes them all.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
_RECORD = 4  # bytes per part number
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux: grow the pipe (Python 3.10+ names it)


class Shares(Generic[T]):
    """Numbered parts, each made by the one process that takes it (:meth:`take`)."""

    def __init__(self, parts: Sequence[Callable[[], Iterable[T]]]) -> None:
        self._parts = list(parts)
        self._taken: list[int] = []
        self._pipe = _filled(len(self._parts))
        self._maker = os.getpid()  # where they are not shared, the only process that takes them

    def take(self) -> Iterator[T]:
        """Make the parts nobody has taken yet, one at a time, until none is left."""
        while (number := self._next()) is not None:
            self._taken.append(number)
            yield from self._parts[number]()

    def rest(self) -> Iterator[T]:
        """Make every part this process did not take (the other process died without its record)."""
        taken = set(self._taken)
        for number, part in enumerate(self._parts):
            if number not in taken:
                self._taken.append(number)
                yield from part()

    def close(self) -> None:
        """Let go of the pipe (the parts not taken stay untaken)."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None

    def _next(self) -> int | None:
        if self._pipe is None:  # not shared: the parts in order, in the process that numbered them
            number = len(self._taken) if os.getpid() == self._maker else len(self._parts)
            return number if number < len(self._parts) else None
        record = os.read(self._pipe, _RECORD)
        if len(record) < _RECORD:  # all taken: the writing end is closed, so an empty pipe ends
            self.close()
            return None
        return int.from_bytes(record, "big")


def _filled(count: int) -> int | None:
    """Return the reading end of a pipe holding the numbers 0 … count-1; None if it cannot hold them."""
    size = count * _RECORD
    reading, writing = os.pipe()
    try:
        if size > 65_536:  # the default size of a Linux pipe
            fcntl.fcntl(writing, _F_SETPIPE_SZ, size)
        os.set_blocking(writing, False)
        body = b"".join(number.to_bytes(_RECORD, "big") for number in range(count))
        if os.write(writing, body) != len(body):
            raise BlockingIOError
    except OSError:  # no room (or no such pipes here): not shared
        os.close(reading)
        return None
    finally:
        os.close(writing)
    return reading
