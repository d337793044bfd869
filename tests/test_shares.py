"""The parts a build's two processes share (publish.shares): each part is made once, by whichever
process takes it; if one process dies, the other makes what it took."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from publish import shares as shares_module
from publish.shares import Shares


def _parts(count: int, log: Path) -> list[Callable[[], Iterable[int]]]:
    def part(number: int) -> Iterable[int]:
        with log.open("a", encoding="utf-8") as file:
            file.write(f"{os.getpid()} {number}\n")
        return [number]

    return [lambda n=n: part(n) for n in range(count)]


def _taken(log: Path) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, number = map(int, line.split())
        found.setdefault(pid, []).append(number)
    return found


def _take_in_child(shares: Shares[int]) -> None:
    list(shares.take())


def test_two_processes_take_every_part_once(tmp_path: Path) -> None:
    log = tmp_path / "log"
    shares = Shares(_parts(500, log))
    child = multiprocessing.get_context("fork").Process(target=_take_in_child, args=(shares,))
    child.start()
    here = list(shares.take())
    child.join()
    taken = _taken(log)
    everything = sorted(n for numbers in taken.values() for n in numbers)
    assert everything == list(range(500))  # each once, none lost
    assert sorted(here) == sorted(taken[os.getpid()])
    assert list(shares.rest()) == sorted(taken.get(child.pid or 0, []))  # what the other took


def _die_holding_a_part(shares: Shares[int]) -> None:
    for _ in shares.take():
        os._exit(3)  # killed with a part taken and not made


def test_the_parts_a_dead_process_took_are_made_by_rest(tmp_path: Path) -> None:
    log = tmp_path / "log"
    shares = Shares(_parts(40, log))
    child = multiprocessing.get_context("fork").Process(target=_die_holding_a_part, args=(shares,))
    child.start()
    child.join()
    assert child.exitcode == 3
    made = list(shares.take()) + list(shares.rest())
    assert sorted(made) == list(range(40))  # the dead child's part too, once


def test_parts_the_pipe_cannot_hold_are_all_made_by_the_process_that_numbered_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shares_module, "_filled", lambda count: None)  # as where a pipe cannot grow
    log = tmp_path / "log"
    shares = Shares(_parts(10, log))
    child = multiprocessing.get_context("fork").Process(target=_take_in_child, args=(shares,))
    child.start()
    child.join()
    assert list(shares.take()) == list(range(10))
    assert list(_taken(log)) == [os.getpid()]  # the child took none
    assert list(shares.rest()) == []


def test_more_parts_than_a_default_pipe_holds_are_still_shared(tmp_path: Path) -> None:
    log = tmp_path / "log"
    shares = Shares(_parts(20_000, log))  # 80,000 bytes of numbers: more than 64 KiB
    assert shares._pipe is not None
    assert sorted(shares.take()) == list(range(20_000))
