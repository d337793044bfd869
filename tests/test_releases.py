"""`klyngedata release` and the stored release history: immutable, checked, reproduced byte for byte.

Stored files are read here with tomllib, tarfile, gzip and hashlib, not with publish.releases.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import tarfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from conftest import BASE, ROOT, copy_project

from publish.errors import BuildError

Run = Callable[..., Result]
RELEASES = ROOT / "data" / "releases"
NOTES = ("--notes", "Rettelse af en tekst", "--notes-en", "A text corrected")


def stored(folder: Path) -> tuple[dict[str, object], dict[str, bytes]]:
    """Return a release's release.toml and the files of its archive, read independently."""
    record = tomllib.loads((folder / "release.toml").read_text(encoding="utf-8"))
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress((folder / "files.tar.gz").read_bytes()))) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    return record, files


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_the_real_history_is_four_releases_in_order() -> None:
    records = [stored(folder)[0] for folder in sorted(RELEASES.iterdir())]
    assert [(r["version"], str(r["issued"]), r.get("previous")) for r in records] == [
        ("2020.03", "2020-03-05", None),
        ("2020.10", "2020-10-02", "2020.03"),
        ("2020.12", "2020-12-31", "2020.10"),
        ("2022.04", "2022-04-20", "2020.12"),
    ]
    assert all(set(r["notes"]) == {"da", "en"} for r in records)  # type: ignore[arg-type]


@pytest.mark.parametrize("folder", sorted(RELEASES.iterdir()), ids=lambda p: p.name)
def test_every_stored_file_has_the_checksum_its_release_states(folder: Path) -> None:
    record, files = stored(folder)
    assert record["archive_sha256"] == sha((folder / "files.tar.gz").read_bytes())
    assert record["dataset_sha256"] == sha((folder / "dataset.nq").read_bytes())
    assert record["files"] == {name: sha(body) for name, body in files.items()}
    # The dump, the catalogue and the per-resource descriptions are among them.
    assert {"dataset.nq.gz", "catalog.ttl", "catalog.rdf", "dataset.ttl"} <= set(files)
    assert any(name.startswith("id/area/") for name in files)


@pytest.mark.parametrize("folder", sorted(RELEASES.iterdir()), ids=lambda p: p.name)
def test_dataset_nq_is_the_release_s_input_sorted(folder: Path) -> None:
    body = (folder / "dataset.nq").read_bytes()
    lines = body.splitlines()
    assert lines == sorted(set(lines))
    graphs = {q.graph_name.value for q in ox.parse(body, format=ox.RdfFormat.N_QUADS)}  # type: ignore[union-attr]
    assert graphs == {BASE + "graph/ontology", BASE + "graph/data", BASE + "graph/shapes"}


def test_a_fresh_clone_builds_every_release_byte_for_byte(tmp_path: Path, cli: Run) -> None:
    clone = tmp_path / "clone"
    if (ROOT / ".git").exists():  # what git stores: no line-ending or mode surprises on the way
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(clone)], check=True)
    else:  # an unpacked source archive: its files are the clone
        copy_project(clone)
    result = cli("build", "--project", str(clone))
    assert result.exit_code == 0, result.output
    for folder in sorted((clone / "data" / "releases").iterdir()):
        record, files = stored(folder)
        built = clone / "site" / "release" / folder.name
        on_site = {p.relative_to(built).as_posix(): p.read_bytes() for p in built.rglob("*") if p.is_file()}
        assert on_site == files
        assert {name: sha(body) for name, body in on_site.items()} == record["files"]


def test_release_stores_a_reproducible_release_and_build_publishes_it(project: Path, cli: Run) -> None:
    shutil.rmtree(project / "data" / "releases")
    other = project.parent / "other"
    shutil.copytree(project, other)
    for where in (project, other):
        result = cli("release", "2030.01", "--issued", "2030-01-15", *NOTES, "--project", str(where))
        assert result.exit_code == 0, result.output
        assert "Stored release 2030.01" in result.stderr
    first, second = project / "data" / "releases" / "2030.01", other / "data" / "releases" / "2030.01"
    assert sorted(p.name for p in first.iterdir()) == ["dataset.nq", "files.tar.gz", "release.toml"]
    for name in ("dataset.nq", "files.tar.gz", "release.toml"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    record, files = stored(first)
    assert record["notes"] == {"da": "Rettelse af en tekst", "en": "A text corrected"}
    # The release's data is the project's: its dataset.nq holds the project's data graph.
    result = cli("build", "--project", str(project))
    assert result.exit_code == 0, result.output
    for name, body in files.items():
        assert (project / "site" / "release" / "2030.01" / name).read_bytes() == body


def test_release_refuses_an_existing_version_an_earlier_date_and_a_bad_name(project: Path, cli: Run) -> None:
    before = sorted(p.name for p in (project / "data" / "releases").iterdir())
    cases = [
        (("2022.04", "--issued", "2030-01-01"), "release 2022.04 exists"),
        (("2030.01", "--issued", "2022-04-19"), "--issued: 2022-04-19 is before 2022-04-20"),
        (("../x", "--issued", "2030-01-01"), "cannot name a release"),
        (("2030.01", "--issued", "2030-02-30"), "--issued: '2030-02-30' is not a day"),
        (
            ("2030.01", "--issued", "2030-01-01", "--as-of", "2030-02-01"),
            "--as-of: the data as of 2030-02-01",
        ),
    ]
    for args, words in cases:
        result = cli("release", *args, *NOTES, "--project", str(project))
        assert result.exit_code == 2, (args, result.output)
        assert words in result.stderr, (words, result.stderr)
    no_notes = cli("release", "2030.01", "--issued", "2030-01-01", "--project", str(project))
    assert no_notes.exit_code == 2 and "--notes: a release needs notes in da" in no_notes.stderr
    assert sorted(p.name for p in (project / "data" / "releases").iterdir()) == before


def test_release_refuses_a_non_conforming_project_and_stores_nothing(project: Path, cli: Run) -> None:
    clusters = project / "data" / "clusters.ttl"
    text = clusters.read_text(encoding="utf-8")
    broken = text.replace('kd:startDate "2020-12"^^xsd:gYearMonth ;', "", 1)  # a designation without start
    assert broken != text
    clusters.write_text(broken, encoding="utf-8")
    result = cli("release", "2030.01", "--issued", "2030-01-01", *NOTES, "--project", str(project))
    assert result.exit_code == 1, result.output
    assert "Nothing was released" in result.stderr
    assert not (project / "data" / "releases" / "2030.01").exists()
    assert not [p for p in (project / "data" / "releases").iterdir() if p.name.startswith(".")]


def _build(project: Path, cli: Run) -> dict[str, bytes]:
    result = cli("build", "--project", str(project))
    assert result.exit_code == 0, result.output
    return _files(project / "site")


@pytest.mark.parametrize("target", ["files.tar.gz", "dataset.nq", "release.toml"])
def test_build_refuses_a_tampered_release_and_leaves_the_site(project: Path, cli: Run, target: str) -> None:
    site = _build(project, cli)
    path = project / "data" / "releases" / "2020.12" / target
    if target == "release.toml":  # a changed checksum of one frozen file
        record = path.read_text(encoding="utf-8")
        name = next(line for line in record.splitlines() if line.startswith('"catalog.ttl" = '))
        path.write_text(record.replace(name, '"catalog.ttl" = "' + "0" * 64 + '"'), encoding="utf-8")
    else:
        body = bytearray(path.read_bytes())
        body[len(body) // 2] ^= 1
        path.write_bytes(bytes(body))
    result = cli("build", "--project", str(project))
    assert result.exit_code == 1, result.output
    shown = "catalog.ttl" if target == "release.toml" else target
    assert str(path.parent) in result.stderr and shown in result.stderr
    assert "immutable" in result.stderr and "git checkout" in result.stderr
    assert _files(project / "site") == site


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_a_changed_ontology_needs_a_new_version_iri_naming_the_prior_one(project: Path, cli: Run) -> None:
    ontology = project / "ontology" / "klyngedata.ttl"
    text = ontology.read_text(encoding="utf-8")
    changed = text.replace('rdfs:label "start date"@en', 'rdfs:label "start of the designation"@en', 1)
    assert changed != text
    ontology.write_text(changed, encoding="utf-8")
    release = ("release", "2030.01", "--issued", "2030-01-01", *NOTES, "--project", str(project))
    refused = cli(*release)
    assert refused.exit_code == 1, refused.output
    assert (
        f"owl:versionIRI was <{BASE}ontology/1.0.0>" in refused.stderr
        and "owl:priorVersion" in refused.stderr
    )
    assert not (project / "data" / "releases" / "2030.01").exists()
    versioned = changed.replace(
        "owl:versionIRI <ontology/1.0.0> ;",
        "owl:versionIRI <ontology/1.1.0> ;\n    owl:priorVersion <ontology/1.0.0> ;",
        1,
    ).replace('owl:versionInfo "1.0.0"', 'owl:versionInfo "1.1.0"', 1)
    ontology.write_text(versioned, encoding="utf-8")
    accepted = cli(*release)
    assert accepted.exit_code == 0, accepted.output


def test_an_unchanged_ontology_needs_no_new_version(project: Path, cli: Run) -> None:
    # The data changes (a text is corrected), the ontology does not: released as it is.
    data = project / "data" / "clusters.ttl"
    text = data.read_text(encoding="utf-8")
    label = '"Designation of CLEAN for environmental technology"@en'
    corrected = text.replace(label, '"CLEAN: designation"@en')
    assert corrected != text
    data.write_text(corrected, encoding="utf-8")
    result = cli("release", "2030.01", "--issued", "2030-01-01", *NOTES, "--project", str(project))
    assert result.exit_code == 0, result.output


def test_release_validates_with_the_configured_engine(
    project: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """shacl_engine = "pyshacl" reaches both checks of a release (they ignored it: always turbo)."""
    from publish import validate as validate_module

    shutil.rmtree(project / "data" / "releases")
    config = project / "pyproject.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[tool.klyngedata]\n", '[tool.klyngedata]\nshacl_engine = "pyshacl"\n', 1
        ),
        encoding="utf-8",
    )
    engines: list[object] = []
    real = validate_module.validate

    def recording(*args: object, **options: object) -> object:
        engines.append(options.get("engine", "default"))
        return real(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(validate_module, "validate", recording)
    result = cli(
        "release",
        "2020.03",
        "--as-of",
        "2020-03-05",
        "--issued",
        "2020-03-05",
        *NOTES,
        "--project",
        str(project),
    )
    assert result.exit_code == 0, result.output
    assert engines == ["pyshacl", "pyshacl"]


def test_releases_are_read_once_and_again_after_an_edit(tmp_path: Path) -> None:
    """A build asks for the releases several times: one reading serves them all, until a file changes."""
    from publish.config import load_config
    from publish.releases import load_releases

    project = copy_project(tmp_path / "p")
    config = load_config(project)
    first = load_releases(config)
    again = load_releases(config)
    assert [r.version for r in first] == ["2020.03", "2020.10", "2020.12", "2022.04"]
    assert all(a is b for a, b in zip(first, again, strict=True))  # not read again
    files = first[0].stored_files()
    assert first[0].stored_files() == files
    path = project / "data" / "releases" / "2020.10" / "release.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[notes]\n", '[notes]\nxx = "edited"\n', 1), encoding="utf-8")
    edited = {r.version: r for r in load_releases(config)}
    assert edited["2020.10"].notes["xx"] == "edited"
    archive = project / "data" / "releases" / "2020.03" / "files.tar.gz"
    body = bytearray(archive.read_bytes())
    body[len(body) // 2] ^= 1
    archive.write_bytes(bytes(body))
    with pytest.raises(BuildError, match="files.tar.gz"):
        edited["2020.03"].stored_files()


def test_a_release_holds_exactly_the_rdf_files_a_build_of_its_data_makes(project: Path, cli: Run) -> None:
    """release makes only the files it keeps (no pages); they are the ones the whole site plan has."""
    import dataclasses
    import datetime

    from publish.build import plan
    from publish.config import load_config
    from publish.dataset import load
    from publish.freeze import frozen

    issued = datetime.date(2030, 1, 15)
    config = dataclasses.replace(
        load_config(project),
        issued=issued,
        dataset_version="2030.01",
        source_date_epoch=int(datetime.datetime(2030, 1, 15, tzinfo=datetime.UTC).timestamp()),
    )
    planned = {str(a.path): a.body for a in plan(load(config), config) if frozen(a.path)}
    result = cli("release", "2030.01", "--issued", str(issued), *NOTES, "--project", str(project))
    assert result.exit_code == 0, result.output
    _, files = stored(project / "data" / "releases" / "2030.01")
    assert files == planned
    assert any(name.startswith("embed/") for name in files)  # the resources' embeddable JSON-LD too
