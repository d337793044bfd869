"""What creating a site's files costs the file system alone: the floor under a cold build.

Run:  python tests/benchmarks/bench_files.py [--files 5063] [--distinct 1765] [--dir FOLDER]

In an empty folder on the disk of FOLDER (default: the current folder) it creates ``--files``
small files as a cold build lays them out (about 40 per folder), then the same with only
``--distinct`` of them new and the rest hard links to those (what ``publish.staging`` does with
repeated bytes), each from 1 and from 4 threads, and prints wall seconds and microseconds per
file. The real site is 5,063 files of 1,765 distinct contents. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BODY = b"x" * 4096


def _lay_out(root: Path, files: int, distinct: int, threads: int) -> float:
    folders = [root / f"d{i}" for i in range(max(1, files // 40))]
    for folder in folders:
        folder.mkdir()
    paths = [folders[i % len(folders)] / f"f{i}" for i in range(files)]

    def make(index: int) -> None:
        if index < distinct:
            paths[index].write_bytes(BODY)
        else:
            os.link(paths[index % distinct], paths[index])

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(make, range(distinct), chunksize=64))
        list(pool.map(make, range(distinct, files), chunksize=64))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5063)
    parser.add_argument("--distinct", type=int, default=1765)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    print(f"| layout ({args.files} files) | threads | wall s | µs per file |")
    print("|---|---|---|---|")
    layouts = ((args.files, "every file new"), (args.distinct, f"{args.distinct} new, rest linked"))
    for distinct, label in layouts:
        for threads in (1, 4):
            root = Path(tempfile.mkdtemp(prefix="bench-files-", dir=args.dir))
            try:
                seconds = _lay_out(root, args.files, distinct, threads)
            finally:
                shutil.rmtree(root)
            print(f"| {label} | {threads} | {seconds:.2f} | {seconds / args.files * 1e6:.0f} |")
    print(f"\nload: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
