"""Remove a folder a build made, its marker last, and do it in the background for a retired site.

After the swap, the previous site is renamed aside (``.<output>.old-XXXXXXXX``, marker inside)
and removed by a detached process (``python -m publish.sweep FOLDER``), so a build returns
without waiting for the disk to unlink every file of the old site. Killed at any moment, the
folder is still recognisable by name and marker, and the next build removes it.
Only the standard library: the process starts in a few milliseconds.
"""

from __future__ import annotations

import shutil
import subprocess
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


# The sweepers started and not yet seen to end: held so that none is dropped while it runs
# (Popen warns then), and reaped by the next call (a serving process rebuilds many times).
_RUNNING: list[subprocess.Popen[bytes]] = []


def in_background(folder: Path) -> None:
    """Remove a retired site folder in a detached process (here, if none can be started)."""
    _RUNNING[:] = [process for process in _RUNNING if process.poll() is None]
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "publish.sweep", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        remove_built(folder)
        return
    _RUNNING.append(process)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        target = Path(name)
        if (target / MARKER).is_file():  # only a folder a build made
            remove_built(target)
