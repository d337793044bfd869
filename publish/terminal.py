"""The terminal's width, as click's help formatter would measure it, without importing shutil.

``shutil`` brings bz2, lzma and zlib into a command that only prints help; this module imports
``os`` and ``sys`` only (both loaded by every interpreter), so the console script's entry point
(``publish.entry``) and the command line (``publish.cli``) share it at no cost.
"""

from __future__ import annotations

import os
import sys


def columns() -> int:
    """Return ``shutil.get_terminal_size().columns``.

    ``COLUMNS`` if it is a positive number, else the width of the terminal on stdout, else 80.
    """
    try:
        found = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        found = 0
    if found <= 0:
        try:
            found = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            found = 0
    return found or 80
