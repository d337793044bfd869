"""Compiled page templates kept on disk beside the templates, as Python keeps compiled modules.

Jinja compiles a template's source to Python, then to bytecode: about 20 ms a template, 0.2 to
0.5 s of every build in each of its processes (the page templates are compiled by the build and
by the child that makes the other language's pages). Jinja can keep the bytecode in a cache
(``jinja2.FileSystemBytecodeCache``); each entry holds jinja's and Python's version and the
SHA-1 of the template's source, and one that does not match is compiled again.

Where the cache lives decides whom it trusts. It is the package's own ``templates/__pycache__``
folder: only whoever can already change the package's code can write it, as with the
``__pycache__`` folders Python itself writes and loads beside every module. Never the project
folder (a project from elsewhere could carry compiled code) and never a shared temporary folder.
A read-only install (a system package) cannot keep the cache: each build compiles, as before.
The entry's name holds a digest of the environment's settings that change the generated code,
so two environments never share an entry. The incremental build's fingerprint of the package
skips ``__pycache__`` folders: the cache changes no build's reuse.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket

FOLDER = Path(__file__).resolve().parent / "templates" / "__pycache__"


class _Cache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache that never fails a build: an entry it cannot read is compiled again,
    one it cannot write is not kept."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - a damaged entry (pickle, marshal): compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass  # read-only: the next build compiles again


def bytecode_cache(settings: tuple[Any, ...]) -> jinja2.BytecodeCache:
    """Return the cache for templates compiled with these code settings (``repr``-able values)."""
    digest = hashlib.sha256(repr((jinja2.__version__, settings)).encode("utf-8")).hexdigest()[:16]
    return _Cache(str(FOLDER), f"jinja-{digest}-%s.cache")
