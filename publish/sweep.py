"""Remove a folder a build made, its marker last, and do it in the background for a retired site.

After the swap, the previous site is renamed aside (``.<output>.old-XXXXXXXX``, marker inside)
and removed by a detached process (``python -m publish.sweep FOLDER``), so a build returns
without waiting for the disk to unlink every file of the old site. Killed at any moment, the
folder is still recognisable by name and marker, and the next build removes it.
Only the standard library: the process starts in a few milliseconds.
"""

from __future__ import annotations

import os
import shutil
import sys
from contextlib import suppress
from pathlib import Path

MARKER = ".klyngedata-site"


def remove_built(folder: Path) -> None:
    """Remove a folder a build made, its marker last: killed midway, it is still recognisable."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for child in folder.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    with suppress(OSError):  # what cannot go now, the next build removes
        (folder / MARKER).unlink(missing_ok=True)
        folder.rmdir()


# The sweepers started and not yet reaped (a serving process rebuilds many times; each call
# reaps those that ended). No subprocess.Popen: it would warn when dropped while running.
_RUNNING: list[int] = []


def in_background(folder: Path) -> None:
    """Remove a retired site folder in a detached process (here, if none can be started)."""
    for pid in list(_RUNNING):
        try:
            ended = os.waitpid(pid, os.WNOHANG)[0] == pid
        except ChildProcessError:
            ended = True
        if ended:
            _RUNNING.remove(pid)
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    command = [sys.executable, "-m", "publish.sweep", str(folder)]
    try:
        pid = os.posix_spawn(sys.executable, command, dict(os.environ), file_actions=quiet, setsid=True)
    except OSError:
        remove_built(folder)
        return
    _RUNNING.append(pid)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        target = Path(name)
        if (target / MARKER).is_file():  # only a folder a build made
            remove_built(target)
