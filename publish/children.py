"""A build's forked helper processes end with the build.

A build forks children that work while it goes on (:mod:`publish.staging`: part of the site;
:mod:`publish.dcatap`: the catalogue's check). If the build is killed, its children must not
live on: one waiting for a catalogue would wait forever, one writing files would write into a
staging folder the next build clears. Two layers:

* on Linux the kernel kills the child when the build's thread that forked it ends
  (``PR_SET_PDEATHSIG``; a build forks only from its one thread);
* everywhere, a child that finds it has lost its parent returns at once (:func:`orphaned`, asked
  before the work and between files), and closes its copy of the parent's end of their pipe, so
  that the pipe reports the parent's death.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1


def can_fork() -> bool:
    """True where a child can be forked safely: ``fork`` exists and no other thread runs here
    (a thread holding a lock at the fork would leave it held in the child forever)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def bind_to_parent(parent: int, *parents_ends: Any) -> bool:
    """In a child just forked from process ``parent``: die with it; close the inherited
    ``parents_ends``. False if the parent has already died (the child should return at once)."""
    for end in parents_ends:
        end.close()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc to ask: the checks below remain
            pass
    return not orphaned(parent)  # it may have died before the kernel was told


def orphaned(parent: int) -> bool:
    """True if this process's parent is no longer ``parent`` (it died; another took us in)."""
    return os.getppid() != parent


def fork(work: Callable[..., None], *args: Any) -> tuple[Any, Any]:
    """Fork a daemon child that runs ``work(*args, connection, parent, parents_end)``: its end of
    a two-way pipe, this process's id and this process's end (to close, :func:`bind_to_parent`).
    Return the child and this process's end. Ask :func:`can_fork` first."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=True)
    child = context.Process(target=work, args=(*args, theirs, os.getpid(), ours), daemon=True)
    child.start()
    theirs.close()
    return child, ours


def answer(connection: Any, found: object, parent: int) -> None:
    """In a child: send ``found`` (a result or an error) to ``parent``, then close the pipe.
    Nothing is sent if the parent died; None if ``found`` cannot be pickled (the parent then
    does the work itself)."""
    try:
        if orphaned(parent):
            return  # nobody waits for the answer
        try:
            connection.send(found)
        except (pickle.PicklingError, TypeError, AttributeError):
            connection.send(None)
    except OSError:  # the parent ended meanwhile
        pass
    finally:
        connection.close()


def receive(child: Any, connection: Any) -> object:
    """In the parent: the child's answer, or None if it died without one or the answer cannot be
    read; the pipe is closed and the child joined either way."""
    try:
        return connection.recv()
    except (EOFError, OSError, pickle.UnpicklingError, TypeError, AttributeError):
        return None
    finally:
        connection.close()
        child.join()


def stop(child: Any, connection: Any) -> None:
    """In the parent: end a child not waited for (the build failed otherwise)."""
    connection.close()
    if child.is_alive():
        child.kill()
    child.join()
