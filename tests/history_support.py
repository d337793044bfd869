"""Release histories for the diff, changelog, feed, change-stream and gone-IRI tests.

A release is written in the layout of data/releases/<VERSION>/ (release.toml, dataset.nq and the
archive of frozen files, here empty) from the project's data as it stands, so a test edits the
data, freezes a release, edits again, freezes the next: the history the sources describe.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pyoxigraph as ox

from publish.config import load_config
from publish.dataset import load
from publish.releases import pack, releases_dir, sha256

MARLOG_DESIGNATION = (
    "https://w3id.org/klyngedata/id/cluster-designation/maritime-logistics-innovation-denmark"
)
MARLOG_END = '    kd:endDate "2022"^^xsd:gYear ;\n'


def write_release(project: Path, version: str, issued: str, *, previous: str | None = None) -> Path:
    """Store the project's current data as release ``version`` (empty archive of frozen files)."""
    config = load_config(project)
    dataset = load(config)
    body = b"".join(
        sorted(set((ox.serialize(dataset.quads(), format=ox.RdfFormat.N_QUADS) or b"").splitlines(True)))
    )
    archive = pack({})
    folder = releases_dir(config) / version
    folder.mkdir(parents=True)
    (folder / "dataset.nq").write_bytes(body)
    (folder / "files.tar.gz").write_bytes(archive)
    lines = [
        f'version = "{version}"',
        f"issued = {datetime.date.fromisoformat(issued).isoformat()}",
        *([f'previous = "{previous}"'] if previous else []),
        f'dataset_sha256 = "{sha256(body)}"',
        f'archive_sha256 = "{sha256(archive)}"',
        "",
        "[notes]",
        f'da = "Udgivelse {version}"',
        f'en = "Release {version}"',
        "",
        "[files]",
        "",
    ]
    (folder / "release.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder


def edit(project: Path, file: str, old: str, new: str) -> None:
    """Replace one exact passage of a data file (it must occur once)."""
    path = project / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{file}: the passage to edit occurs {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def remove_block(project: Path, file: str, subject: str) -> str:
    """Remove the Turtle block that starts with ``subject`` at column 0; return it."""
    path = project / file
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"(?ms)^{re.escape(subject)}\n.*?\.\n\n?", text)
    assert found is not None, f"{file}: no block for {subject}"
    path.write_text(text[: found.start()] + text[found.end() :], encoding="utf-8")
    return found.group(0)


def marlog_history(project: Path) -> None:
    """Two releases: 2020.12 (MARLOG designated, no end) and 2022.04 (the designation ended 2022).

    The project's own release history (the real one, copied with data/) is replaced.
    """
    shutil.rmtree(releases_dir(load_config(project)), ignore_errors=True)
    edit(project, "data/clusters.ttl", MARLOG_END, "")
    write_release(project, "2020.12", "2020-12-15")
    edit(
        project,
        "data/clusters.ttl",
        '    kd:startDate "2020-10-02"^^xsd:date ;\n',
        '    kd:startDate "2020-10-02"^^xsd:date ;\n' + MARLOG_END,
    )
    write_release(project, "2022.04", "2022-04-20", previous="2020.12")


def rename(project: Path, old: str, new: str) -> None:
    """Rename a thing (``cluster:x`` → ``cluster:y``) in every data file.

    The new one says it replaces the old: the old IRI is stated once more, by ``dcterms:replaces``.
    """
    pattern = re.compile(rf"(?<![\w:-]){re.escape(old)}(?![\w-])")
    for path in sorted((project / "data").glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        if pattern.search(text):
            path.write_text(pattern.sub(new, text), encoding="utf-8")
    edit(project, "data/clusters.ttl", f"\n{new}\n", f"\n{new}\n    dcterms:replaces {old} ;\n")
