"""Incremental builds (issue 11): a rebuild reuses what an edit cannot change, and its site is
byte for byte the site a cold build of the edited project makes."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import EPOCH, copy_project, hashes, make_tiny

from publish import incremental
from publish import validate as validate_module
from publish.build import MARKER, BuildResult, build, leftovers
from publish.config import load_config
from publish.errors import ValidationFailed
from publish.validate import Report

TINY_DATA = Path("data") / "tiny.ttl"
MINISTER = '"Uddannelses- og forskningsministeren"@da'
NEW_RESOURCE = """
organisation:ny-minister a org:Post,
        kd:PublicAuthority ;
    dcterms:source <https://erhvervsfremmebestyrelsen.dk/danske-styrkepositioner-og-fremtidens-klynger> ;
    skos:prefLabel "Ny minister"@da,
        "New minister"@en ;
    org:postIn organisation:uddannelses-og-forskningsministeriet .
"""


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in EPOCH.items():
        monkeypatch.setenv(name, value)


def _build(project: Path) -> BuildResult:
    return build(load_config(project))


def _cold(project: Path, where: Path) -> dict[str, str]:
    """Return the file hashes of a cold build of a copy of ``project`` (no site, no cache)."""
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for name in ("ontology", "data", "shapes", "pyproject.toml"):
        source = project / name
        if source.is_dir():
            shutil.copytree(source, where / name)
        else:
            shutil.copy2(source, where / name)
    _build(where)
    return hashes(where / "site")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _manifest(project: Path) -> dict[str, list[object]]:
    path = incremental.manifest_path(project, project / "site")
    return dict(json.loads(path.read_text(encoding="utf-8"))["units"])


def _same_units(before: dict[str, list[object]], after: dict[str, list[object]]) -> int:
    """Count the units whose key and files did not change between two manifests."""
    return sum(
        1
        for name, unit in after.items()
        if name in before and before[name][0] == unit[0] and before[name][2] == unit[2]
    )


def test_a_label_edit_of_the_real_data_reuses_most_units_and_equals_a_cold_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    _build(project)
    before = _manifest(project)
    inode = (project / "site" / "id" / "area" / "lydteknologi.en.html").stat().st_ino
    robots = (project / "site" / "robots.txt").stat().st_ino
    _edit(project / "data" / "areas.ttl", '"Miljøteknologi"@da', '"Miljøteknologi (rettet)"@da')
    result = _build(project)
    after = _manifest(project)
    assert hashes(project / "site") == _cold(project, tmp_path / "cold")
    assert set(after) == set(before)
    same = _same_units(before, after)
    # The label shows wherever the area is named: its own page, its designations, initiative,
    # cluster, the strategy and the overview … but not on most of the 300 resources' files.
    assert 0.8 * len(after) < same < len(after), (same, len(after))
    assert result.reused == same and result.units == len(after)
    # A reused file is a hard link to the previous site's file, not a copy.
    assert (project / "site" / "id" / "area" / "lydteknologi.en.html").stat().st_ino == inode
    assert (project / "site" / "robots.txt").stat().st_ino == robots  # made again, same bytes
    # The edited label's own page was made again.
    page = (project / "site" / "id" / "area" / "miljoeteknologi.html").read_text(encoding="utf-8")
    assert "Miljøteknologi (rettet)" in page


@pytest.mark.parametrize(
    ("edit", "reuses"),
    [
        ("label", True),
        ("new resource", True),
        ("deleted resource", True),
        ("comment only", True),
        ("ontology", True),
        ("ontology term moved", True),  # the ontology page lists terms in file order
        ("shape moved", True),  # so does the shapes page its shapes: the same triples, other lines
        ("licence", True),  # every page's footer links it: a frame made once a folder hid that read
        ("licence label", True),  # a label remembered by the graph hid the read of its statements
        ("shapes", False),
        ("config", False),
        ("code", False),
    ],
)
def test_every_kind_of_edit_rebuilds_the_cold_build_bytes(
    edit: str, reuses: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_tiny(tmp_path / "project")
    _build(project)
    before = _manifest(project)
    if edit == "label":
        _edit(project / TINY_DATA, MINISTER, '"Ministeren for uddannelse"@da')
    elif edit == "new resource":
        with (project / TINY_DATA).open("a", encoding="utf-8") as out:
            out.write(NEW_RESOURCE)
    elif edit == "deleted resource":
        text = (project / TINY_DATA).read_text(encoding="utf-8")
        start = text.index("organisation:uddannelses-og-forskningsministeren a org:Post")
        end = text.index("\n\n", start)
        (project / TINY_DATA).write_text(text[:start] + text[end + 2 :], encoding="utf-8")
    elif edit == "comment only":
        _edit(project / TINY_DATA, "@prefix area:", "# a comment, and the lines below move\n\n@prefix area:")
    elif edit == "ontology":
        _edit(project / "ontology" / "klyngedata.ttl", 'rdfs:label "strategy"@en', 'rdfs:label "plan"@en')
    elif edit == "ontology term moved":
        _move_block(project / "ontology" / "klyngedata.ttl", "kd:Strategy\n")
    elif edit == "shape moved":
        _move_block(project / "shapes" / "klyngedata-shapes.ttl", "kdsh:PrefLabelDanish\n")
    elif edit == "licence":
        old, new = "licenses/by/4.0/", "publicdomain/zero/1.0/"
        _edit(project / "ontology" / "klyngedata.ttl", old, new)
    elif edit == "licence label":
        with (project / "ontology" / "klyngedata.ttl").open("a", encoding="utf-8") as out:
            out.write('\n<https://creativecommons.org/licenses/by/4.0/> rdfs:label "CC BY 4.0"@en .\n')
    elif edit == "shapes":
        shapes = sorted((project / "shapes").glob("*.ttl"))[0]
        _edit(shapes, "Mangler en dansk betegnelse", "Der mangler en dansk betegnelse")
    elif edit == "config":
        _edit(
            project / "pyproject.toml",
            'languages = ["da", "en"]',
            'languages = ["da", "en"]\nissued = 2020-01-01',
        )
    elif edit == "code":
        # Another version of klyngedata (code, templates, messages) made the previous site.
        monkeypatch.setattr(incremental, "code_fingerprint", lambda root=incremental.PACKAGE: "0" * 64)
    result = _build(project)
    assert hashes(project / "site") == _cold(project, tmp_path / "cold")
    same = _same_units(before, _manifest(project))
    assert (result.reused > 0) == reuses and (same > 0) == reuses, (result.reused, same)
    if edit == "comment only":
        assert result.reused == result.units  # nothing it reads moved


def _move_block(path: Path, start: str) -> None:
    """Move the statements that begin with ``start`` (up to the next blank line) to the file's end."""
    text = path.read_text(encoding="utf-8")
    begin = text.index("\n" + start) + 1
    end = text.index("\n\n", begin) + 2
    path.write_text(text[:begin] + text[end:].rstrip("\n") + "\n\n" + text[begin:end], encoding="utf-8")


def test_the_code_fingerprint_covers_templates_and_code(tmp_path: Path) -> None:
    package = tmp_path / "publish"
    shutil.copytree(incremental.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    first = incremental.code_fingerprint(package)
    assert first == incremental.code_fingerprint(incremental.PACKAGE)
    base = package / "templates" / "_base.html.j2"
    base.write_text(base.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    incremental.code_fingerprint.cache_clear()
    second = incremental.code_fingerprint(package)
    assert second != first
    (package / "view.py").write_text("# changed\n", encoding="utf-8")
    incremental.code_fingerprint.cache_clear()
    assert incremental.code_fingerprint(package) not in (first, second)
    incremental.code_fingerprint.cache_clear()


def test_data_that_does_not_conform_publishes_nothing_and_keeps_the_previous_site(tmp_path: Path) -> None:
    project = make_tiny(tmp_path / "project")
    _build(project)
    site, record = hashes(project / "site"), _manifest(project)
    _edit(project / TINY_DATA, MINISTER, f'{MINISTER}, "Ministeren"@da')  # two Danish labels
    with pytest.raises(ValidationFailed):
        _build(project)
    assert hashes(project / "site") == site and _manifest(project) == record
    _edit(project / TINY_DATA, f'{MINISTER}, "Ministeren"@da', '"Ministeren for uddannelse"@da')
    assert _build(project).reused > 0
    assert hashes(project / "site") == _cold(project, tmp_path / "cold")


def test_a_changed_or_missing_file_of_the_previous_site_is_made_again(tmp_path: Path) -> None:
    """Reuse takes a file only if it still has the recorded SHA-256; anything else is made again."""
    project = make_tiny(tmp_path / "project")
    _build(project)
    cold = hashes(project / "site")
    page = project / "site" / "id" / "cluster" / "clean.html"
    page.write_text(page.read_text(encoding="utf-8").replace("CLEAN", "DIRTY"), encoding="utf-8")
    (project / "site" / "id" / "cluster" / "clean.ttl").unlink()
    # Not a unit, made again with the same bytes: linked from the previous site only if it still
    # holds them (the staging folder checks each such file before it links it).
    robots = project / "site" / "robots.txt"
    robots.write_text(robots.read_text(encoding="utf-8") + "Disallow: /dirty\n", encoding="utf-8")
    result = _build(project)
    assert hashes(project / "site") == cold
    assert 0 < result.reused < result.units


@pytest.mark.parametrize("content", ["", "{not json", '{"format": "another", "units": {}}', '{"format": 1}'])
def test_a_broken_manifest_means_a_full_build(content: str, tmp_path: Path) -> None:
    project = make_tiny(tmp_path / "project")
    _build(project)
    cold = hashes(project / "site")
    incremental.manifest_path(project, project / "site").write_text(content, encoding="utf-8")
    result = _build(project)
    assert result.reused == 0 and hashes(project / "site") == cold


def test_the_previous_site_is_removed_in_the_background(tmp_path: Path) -> None:
    """The swapped-out site is renamed aside at once (a leftover by name and marker) and goes
    away without the build waiting for it."""
    project = make_tiny(tmp_path / "project")
    _build(project)
    _edit(project / TINY_DATA, MINISTER, '"Ministeren for uddannelse"@da')
    _build(project)
    assert not [p for p in project.iterdir() if ".new-" in p.name]
    for retired in leftovers(project / "site"):
        assert ".old-" in retired.name
    deadline = time.monotonic() + 60
    while leftovers(project / "site") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers(project / "site") == []
    assert (project / "site" / MARKER).is_file() and os.listdir(project / "site")


def test_a_build_validates_with_the_configured_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """shacl_engine = "pyshacl" reaches validation in a build (it was ignored: always the default)."""
    project = make_tiny(tmp_path / "project")
    _edit(project / "pyproject.toml", "[tool.klyngedata]\n", '[tool.klyngedata]\nshacl_engine = "pyshacl"\n')
    engines: list[str] = []
    real = validate_module.validate

    def recording(*args: object, **options: Any) -> Report:
        engines.append(options.get("engine", "default"))
        return real(*args, **options)

    monkeypatch.setattr(validate_module, "validate", recording)
    _build(project)
    assert engines == ["pyshacl"]


def test_the_catalogue_verdict_comes_from_a_child_and_a_failing_one_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DCAT-AP check runs in a forked child while the site is written; the swap waits for
    its verdict, and a catalogue that does not conform leaves the previous site and no leftovers."""
    import pyoxigraph as ox

    from publish import catalog, dcatap

    project = make_tiny(tmp_path / "project")
    _build(project)
    site, record = hashes(project / "site"), _manifest(project)
    real_check = dcatap.check_catalog

    def noted(triples: Any) -> dcatap.CatalogReport:
        (tmp_path / "checked-in").write_text(str(os.getpid()), encoding="utf-8")
        return real_check(triples)

    monkeypatch.setattr(dcatap, "check_catalog", noted)
    real = catalog.template
    title = "http://purl.org/dc/terms/title"

    def untitled(uris: Any) -> list[ox.Triple]:  # the catalogue loses its mandatory title
        return [t for t in real(uris) if t.predicate.value != title]

    monkeypatch.setattr(catalog, "template", untitled)
    _edit(project / TINY_DATA, MINISTER, '"Ministeren for uddannelse"@da')
    with pytest.raises(ValidationFailed, match=r"does not conform to DCAT-AP 3\.0\.1") as failed:
        _build(project)
    assert "dct:title is missing" in str(failed.value)
    assert int((tmp_path / "checked-in").read_text(encoding="utf-8")) != os.getpid()  # in a child
    assert hashes(project / "site") == site and _manifest(project) == record
    assert leftovers(project / "site") == []
    assert not [p for p in project.iterdir() if p.name.startswith(".site.")]
    monkeypatch.setattr(catalog, "template", real)
    _build(project)
    assert hashes(project / "site") == _cold(project, tmp_path / "cold")


def test_verdicts_outside_a_build_raise_as_the_check_does() -> None:
    import pyoxigraph as ox

    from publish import dcatap

    catalogue = [
        ox.Triple(
            ox.NamedNode("https://example.org/catalog"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://www.w3.org/ns/dcat#Catalog"),
        )
    ]
    with dcatap.deferred() as verdicts:
        dcatap.require_conformance(catalogue, where="a test catalogue")  # returns at once
        with pytest.raises(ValidationFailed, match="dct:title is missing"):
            verdicts.wait()
    with pytest.raises(ValidationFailed, match="dct:title is missing"):
        dcatap.require_conformance(catalogue, where="a test catalogue")


def _untitled_catalogue() -> list[Any]:
    import pyoxigraph as ox

    return [
        ox.Triple(
            ox.NamedNode("https://example.org/catalog"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://www.w3.org/ns/dcat#Catalog"),
        ),
        ox.Triple(  # a blank node crosses to the prepared child under its own label
            ox.NamedNode("https://example.org/catalog"),
            ox.NamedNode("http://purl.org/dc/terms/publisher"),
            ox.BlankNode("publisher"),
        ),
    ]


def test_a_prepared_check_gives_the_same_verdict_from_the_child_it_loaded_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """verdicts.prepare() forks the checker before the catalogue exists; the catalogue goes to
    it as N-Triples and its report is the one the check gives in this process."""
    import multiprocessing

    from publish import dcatap

    real_load = dcatap.load_check

    def noted() -> None:
        (tmp_path / "loaded-in").write_text(str(os.getpid()), encoding="utf-8")
        real_load()

    monkeypatch.setattr(dcatap, "load_check", noted)
    catalogue = _untitled_catalogue()
    with pytest.raises(ValidationFailed) as here:
        dcatap.require_conformance(catalogue, where="a test catalogue")
    with dcatap.deferred() as verdicts:
        verdicts.prepare()
        dcatap.require_conformance(catalogue, where="a test catalogue")  # handed to the child
        with pytest.raises(ValidationFailed) as there:
            verdicts.wait()
    assert str(there.value) == str(here.value) and "dct:title is missing" in str(there.value)
    assert int((tmp_path / "loaded-in").read_text(encoding="utf-8")) != os.getpid()
    assert multiprocessing.active_children() == []


def test_an_unused_or_dead_prepared_checker_leaves_no_child_and_the_check_still_runs() -> None:
    import multiprocessing

    from publish import dcatap

    with dcatap.deferred() as verdicts:
        verdicts.prepare()  # the build fails before its catalogue: the child is stopped
        assert len(multiprocessing.active_children()) == 1
    assert multiprocessing.active_children() == []

    with dcatap.deferred() as verdicts:
        verdicts.prepare()
        (child,) = multiprocessing.active_children()
        child.kill()
        child.join()
        dcatap.require_conformance(_untitled_catalogue(), where="a test catalogue")
        with pytest.raises(ValidationFailed, match="dct:title is missing"):
            verdicts.wait()  # the child died: the check runs here instead
    assert multiprocessing.active_children() == []


def test_the_change_history_is_reused_until_a_release_record_or_what_it_reads_changes(tmp_path: Path) -> None:
    """The changelog pages, feed, stream and gone documents depend on the stored releases and a
    few entries of the current data: a label edit elsewhere keeps them, new release notes remake
    them, and either way the site is the cold build's."""
    project = copy_project(tmp_path / "project")
    _build(project)
    first = _manifest(project)["history"]
    _edit(project / "data" / "areas.ttl", '"Miljøteknologi"@da', '"Miljøteknologi (rettet)"@da')
    _build(project)
    assert _manifest(project)["history"] == first  # same key, same files
    assert hashes(project / "site") == _cold(project, tmp_path / "cold")
    notes = project / "data" / "releases" / "2022.04" / "release.toml"
    _edit(notes, 'en = "MARLOG declared bankrupt', 'en = "MARLOG, the cluster, declared bankrupt')
    _build(project)
    assert _manifest(project)["history"][0] != first[0]
    page = (project / "site" / "changes" / "2022.04.en.html").read_text(encoding="utf-8")
    assert "MARLOG, the cluster, declared bankrupt" in page
    assert hashes(project / "site") == _cold(project, tmp_path / "cold")


@pytest.mark.parametrize("count", [0, 1, 4095, 4096, 4097, 10_000])
def test_the_manifest_is_written_in_batches_as_one_json_document(count: int, tmp_path: Path) -> None:
    """Batches of members (json.dumps in C) make the document json.dumps makes of it whole."""
    units = {
        f"page {i:05}": incremental.Unit(
            f"k{i}", (f"r{i % 7}", f"r{i % 3}"), (incremental.File(f"p/{i}.html", "text/html", "a" * 64),)
        )
        for i in range(count)
    }
    files = {f"p/{i}.html": "b" * 64 for i in reversed(range(count))}
    manifest = incremental.Manifest("code", units, files)
    incremental.write_manifest(tmp_path / "m.json", manifest)
    names = sorted({read for unit in units.values() for read in unit.reads})
    whole = {
        "format": incremental.FORMAT,
        "code": "code",
        "reads": names,
        "units": {
            name: [
                u.key,
                [names.index(r) for r in u.reads],
                [[f.path, f.media_type, f.sha256] for f in u.files],
            ]
            for name, u in sorted(units.items())
        },
        "files": dict(sorted(files.items())),
    }
    text = (tmp_path / "m.json").read_text(encoding="utf-8")
    assert text == json.dumps(whole, separators=(",", ":"))
    assert incremental.read_manifest(tmp_path / "m.json") == manifest
