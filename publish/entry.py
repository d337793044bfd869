"""The console script's entry point: ``klyngedata --help`` without importing click.

Importing click costs more than starting Python (issue 11: ``--help`` within 2× of
``python -c pass``), and a request for help needs none of it: its text is the same every time.
So the help click prints for the group and for each command is stored in ``publish/help/``
(written by ``python -m publish.entry``, which renders it with click), and ``main`` prints the
stored text when the arguments ask only for help (``--help`` or ``COMMAND --help``), the program
is called ``klyngedata`` and the text would be laid out at click's full width (a terminal of 80
columns or more, or none). Anything else, including help in a narrower terminal, goes to click
(``publish.cli``). ``tests/test_startup.py`` checks every stored text is what click prints, so a
changed option fails the suite until the texts are written again.

This module imports ``os``, ``sys`` (both loaded by every interpreter) and ``publish.terminal``.
"""

from __future__ import annotations

import os
import sys

from . import terminal

PROGRAM = "klyngedata"
HELP = os.path.join(os.path.dirname(__file__), "help")
# Click lays help out at the terminal's width less 2, at most 80 less 2 (HelpFormatter).
FULL_WIDTH = 80


def main() -> int:
    """Print stored help when that is all that is asked; otherwise run the click command line.

    Return the exit code (the console script exits with it; click exits by itself)."""
    text = stored_help(sys.argv[1:])
    if text is None:
        from .cli import main as command_line

        command_line()
        return 0
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (``| head -0``): exit 1 quietly, as click does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit
        return 1
    return 0


def stored_help(args: list[str]) -> str | None:
    """Return the stored help click would print for ``klyngedata ARGS``, or None if it may differ."""
    if os.path.basename(sys.argv[0]) != PROGRAM or getattr(sys.modules["__main__"], "__spec__", None):
        return None  # another program name (``python -m``): click's usage line names it
    if args == ["--help"]:
        name = PROGRAM
    elif len(args) == 2 and args[1] == "--help" and args[0].isidentifier() and args[0] != PROGRAM:
        name = args[0]
    else:
        return None
    if terminal.columns() < FULL_WIDTH:
        return None
    try:
        with open(os.path.join(HELP, f"{name}.txt"), encoding="utf-8") as file:
            return file.read()
    except OSError:
        return None  # not a command (click says so), or an install without the texts


def rendered() -> dict[str, str]:
    """Return the help click prints for the group and each command at full width, by file stem."""
    from .cli import _Context
    from .cli import main as group

    width = FULL_WIDTH - 2
    top = _Context(group, info_name=PROGRAM, terminal_width=width)
    texts = {PROGRAM: top.get_help() + "\n"}
    for name, command in group.commands.items():
        texts[name] = _Context(command, info_name=name, parent=top, terminal_width=width).get_help() + "\n"
    return texts


def write_help() -> None:
    """Write every help text click renders into ``publish/help/``, and remove any other."""
    texts = rendered()
    os.makedirs(HELP, exist_ok=True)
    for stale in set(os.listdir(HELP)) - {f"{name}.txt" for name in texts}:
        os.remove(os.path.join(HELP, stale))
    for name, text in sorted(texts.items()):
        with open(os.path.join(HELP, f"{name}.txt"), "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        print(f"wrote {os.path.join(HELP, name)}.txt")


if __name__ == "__main__":
    write_help()
