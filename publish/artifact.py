"""The value every producer of the site returns: one file, where it goes, what it is, its bytes.

It lives below the modules that make files (pages, RDF documents, the catalogue, the hosting
rules) and the one that writes them (``build``), so imports point one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file of the site: where it goes, what it is, and its bytes.

    A file an incremental build takes unchanged from the previous site also says where it lies
    there (``kept``) and its SHA-256 (``sha256``, the digest its bytes were just checked
    against), so that the staging folder links that file instead of hashing and writing it again.
    A producer that hashed the bytes anyway (the incremental build records every file's SHA-256)
    gives that digest too. A stored release's file says ``checked``: its bytes are the ones
    ``klyngedata release`` checked with their format's parser when it froze them (their SHA-256,
    recorded then, was just compared), so the staging folder does not parse them again.
    """

    path: PurePosixPath
    media_type: str
    body: bytes
    kept: Path | None = None
    sha256: bytes | None = None
    checked: bool = False

    def with_sha256(self, digest: bytes) -> Artifact:
        """Return this file with its SHA-256 given (``dataclasses.replace``, without its cost)."""
        return Artifact(self.path, self.media_type, self.body, self.kept, digest, self.checked)
