"""Remember which shapes passed SHACL-for-SHACL, so unchanged shapes are not checked again.

Checking the shapes against SHACL-for-SHACL costs about a second and a half on every run, and
the answer only changes when the shapes do. After a run whose shapes passed, the project's
``.klyngedata-cache/shacl-for-shacl.json`` holds a fingerprint: the SHA-256 of the shapes graph
exactly as it is checked (the canonical N-Quads of the loaded shapes, so relative IRIs resolved
against base_iri count too) together with the engine that checked it and the versions of
pyshacl-turbo, pySHACL and rdflib, which make the check (publish/shacl.py check_shapes). A later
run with the same fingerprint skips the check.

The file can only ever skip a check, never fail one, and on any doubt the check runs: a
missing, unreadable, corrupt or foreign file (another format, other keys) is a miss, and a
fingerprint is only found if these very shapes passed under these very versions. Writing is
atomic (a temporary file renamed over the old one); a project folder that cannot be written to
just means no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox

from .config import SHACL_ENGINES

FOLDER = ".klyngedata-cache"
FILE = "shacl-for-shacl.json"
FORMAT = "klyngedata shacl-for-shacl 1"
KEEP = 16  # fingerprints kept: a few recent versions of the shapes


def fingerprint(shapes: Iterable[ox.Quad], *, engine: str) -> str:
    """Return the SHA-256 of the shapes graph, the checking engine and the checking libraries' versions."""
    libraries = "".join(f"{name} {version(name)}\n" for name in (*SHACL_ENGINES.values(), "rdflib"))
    digest = hashlib.sha256(f"{FORMAT}\nengine {engine}\n{libraries}".encode())
    for line in sorted(f"{quad} .\n" for quad in shapes):
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def passed(project_dir: Path, key: str) -> bool:
    """Tell whether shapes with this fingerprint passed SHACL-for-SHACL before (any doubt: no)."""
    return key in _read(project_dir / FOLDER / FILE)


def remember(project_dir: Path, key: str) -> None:
    """Record that shapes with this fingerprint passed; quietly nothing if the folder is read-only."""
    folder = project_dir / FOLDER
    keys = [k for k in _read(folder / FILE) if k != key][-(KEEP - 1) :] + [key]
    text = json.dumps({"format": FORMAT, "passed": keys}, indent=1) + "\n"
    try:
        folder.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{FILE}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, folder / FILE)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return


def _read(path: Path) -> list[str]:
    """Return the fingerprints of the cache file; an empty list for anything but a sound file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return []
    keys = document.get("passed")
    if not isinstance(keys, list):
        return []
    return [
        k for k in keys if isinstance(k, str) and len(k) == 64 and all(c in "0123456789abcdef" for c in k)
    ]
