"""The value every producer of the site returns: one file, where it goes, what it is, its bytes.

It lives below the modules that make files (pages, RDF documents, the catalogue, the hosting
rules) and the one that writes them (``build``), so imports point one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file of the site: where it goes, what it is, and its bytes."""

    path: PurePosixPath
    media_type: str
    body: bytes
