"""Adversarial bad data: every case of tests/projects/bad-data.toml gives its exit code and a
message naming file, line and resource, never a traceback, and leaves the previous site
byte-identical. Plus hostile literals checked in every published format."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from bad_data_cases import CASES, edit
from click.testing import CliRunner
from conftest import EPOCH, hashes, make_tiny, prefixes_of

from publish.artifact import Artifact
from publish.cli import main

SKOS = "http://www.w3.org/2004/02/skos/core#"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and everything it printed."""
    result = CliRunner().invoke(main, list(args), env={**EPOCH, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash: the test fails with the traceback a user would see
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def tiny_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The tiny project, built once; and the hashes of its site."""
    project = make_tiny(tmp_path_factory.mktemp("tiny") / "project")
    code, output = run("build", "--project", str(project))
    assert code == 0, output
    return project, hashes(project / "site")


# ------------------------------------------------------------------ setups TOML cannot express


def latin_1(project: Path, tmp: Path) -> None:
    path = project / "data" / "tiny.ttl"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))


def symlink_out(project: Path, tmp: Path) -> None:
    outside = tmp / "elsewhere.ttl"
    outside.write_text('<https://w3id.org/klyngedata/id/x/y> <http://ex/p> "x" .\n', encoding="utf-8")
    (project / "data" / "linked.ttl").symlink_to(outside)


def symlinked_folder_out(project: Path, tmp: Path) -> None:
    (tmp / "elsewhere").mkdir()
    (tmp / "elsewhere" / "linked.ttl").write_text("<http://ex/s> <http://ex/p> 1 .\n", encoding="utf-8")
    (project / "data" / "more").symlink_to(tmp / "elsewhere", target_is_directory=True)


def ttl_folder(project: Path, tmp: Path) -> None:
    (project / "data" / "odd.ttl").mkdir()


def ttl_fifo(project: Path, tmp: Path) -> None:
    os.mkfifo(project / "data" / "pipe.ttl")


def _append(project: Path, text: str) -> None:
    with (project / "data" / "tiny.ttl").open("a", encoding="utf-8") as file:
        file.write(text)


def huge_literal(project: Path, tmp: Path) -> None:
    _append(project, '\ncluster:clean skos:note """' + "x" * (50 * 1024 * 1024) + '"""@en .\n')


def big_literal(project: Path, tmp: Path) -> None:
    _append(project, '\ncluster:clean skos:note """' + "x" * (1024 * 1024) + '"""@en .\n')


def deep_list(project: Path, tmp: Path) -> None:
    _append(project, "\ncluster:clean skos:example " + "(" * 10_000 + '"x"' + ")" * 10_000 + " .\n")


def long_list(project: Path, tmp: Path) -> None:
    items = " ".join(f'"item {n}"' for n in range(10_000))
    _append(project, f"\ncluster:clean skos:example ({items}) .\n")


def deep_blank_nodes(project: Path, tmp: Path) -> None:
    _append(project, "\ncluster:clean skos:example " + "[ skos:example " * 100 + '"x"' + " ]" * 100 + " .\n")


def blank_cycle(project: Path, tmp: Path) -> None:
    links = " ".join(f"_:c{n} skos:example _:c{(n + 1) % 1000} ." for n in range(1000))
    _append(project, f"\ncluster:clean skos:example _:c0 .\n{links}\n")


def blank_cycle_unowned(project: Path, tmp: Path) -> None:
    _append(project, "\n_:a skos:example _:b .\n_:b skos:example _:a .\n")


def output_is_file(project: Path, tmp: Path) -> None:
    (tmp / "a-file").write_text("not a folder\n", encoding="utf-8")


def output_not_ours(project: Path, tmp: Path) -> None:
    (tmp / "theirs").mkdir()
    (tmp / "theirs" / "thesis.docx").write_bytes(b"precious")


def read_only_project(project: Path, tmp: Path) -> Iterator[None]:
    subprocess.run(["mount", "--bind", "-o", "ro", str(project), str(project)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", str(project)], check=True)


def immutable_site(project: Path, tmp: Path) -> Iterator[None]:
    subprocess.run(["chattr", "+i", str(project / "site")], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(project / "site")], check=True)


def full_output(project: Path, tmp: Path) -> Iterator[None]:
    """A tmpfs with room for one site and a bit (not two): the second build hits ENOSPC."""
    site = project / "site"
    pages = sum(-(-path.stat().st_size // 4096) + 1 for path in site.rglob("*"))
    (tmp / "full").mkdir()
    size_kib = pages * 4 * 13 // 10
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(tmp / "full")], check=True
    )
    try:
        shutil.copytree(site, tmp / "full" / "site")
        yield
    finally:
        subprocess.run(["umount", str(tmp / "full")], check=True)


SETUPS: dict[str, Callable[[Path, Path], Any]] = {
    f.__name__: f
    for f in (
        latin_1,
        symlink_out,
        symlinked_folder_out,
        ttl_folder,
        ttl_fifo,
        huge_literal,
        big_literal,
        deep_list,
        long_list,
        deep_blank_nodes,
        blank_cycle,
        blank_cycle_unowned,
        output_is_file,
        output_not_ours,
        read_only_project,
        immutable_site,
        full_output,
    )
}


# ---------------------------------------------------------------------------- applying a case


def expected(project: Path, case: dict[str, Any]) -> list[str]:
    """Return the regular expressions the message must match."""
    patterns = [re.escape(word) for word in case.get("words", [])]
    for key in ("focus", "resource"):
        if key in case:
            iri, definition = _resolve(project, case[key])
            patterns.append(re.escape(iri) + r"(?![\w/.-])")
            if key == "focus":
                patterns.append(re.escape(definition) + r"\b")
    if "where" in case:
        lines = (project / case["file"]).read_bytes().decode("utf-8", "replace").split("\n")
        number = next(n for n, line in enumerate(lines, start=1) if case["where"] in line)
        patterns.append(re.escape(f"{case['file']}:{number}") + r"\b")
    return patterns


def _resolve(project: Path, name: str) -> tuple[str, str]:
    """Return (IRI, file:line of its definition) of a prefixed name or <IRI> in data/."""
    if name.startswith("<"):
        return name[1:-1], ""
    prefix, local = name.split(":", 1)
    for path in sorted((project / "data").glob("*.ttl")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            if line.split() and line.split()[0] == name and not line[0].isspace():
                return prefixes_of(path)[prefix] + local, f"data/{path.name}:{number}"
    raise AssertionError(f"{name} is defined in no data file")


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name: str, tiny_built: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """One bad input: its exit code, a message naming the place, no traceback, the old site intact."""
    case = CASES[name]
    source, before = tiny_built
    project = tmp_path / "project"
    shutil.copytree(source, project, symlinks=True)
    edit(project, case)
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.get("args", [])]
    prepared = SETUPS[case["setup"]](project, tmp_path) if "setup" in case else None
    try:
        if prepared is not None:
            next(prepared)  # a setup that must be undone (a mount) yields once
        patterns = expected(project, case)
        code, output = run(
            case.get("command", "build"), "--project", str(project), *args, env=case.get("env")
        )
        sites = [project / "site"] + (
            [tmp_path / "full" / "site"] if case.get("setup") == "full_output" else []
        )
        after = [hashes(site) for site in sites]
    finally:
        if prepared is not None:
            next(prepared, None)
    assert code == case.get("exit", 1), output
    assert "Traceback" not in output
    for pattern in patterns:
        assert re.search(pattern, output), f"{pattern!r} not in:\n{output}"
    if "once" in case:
        assert output.count(case["once"]) == 1, output
    kept = case.get("site", "unchanged")
    if kept in ("unchanged", "same"):
        assert all(found == before for found in after), "the previous site changed"
    else:
        assert after[0] != before
    leftovers = [p.name for p in (list(project.iterdir()) + list(tmp_path.iterdir())) if ".new-" in p.name]
    assert leftovers == []


def test_table_covers_fifty_kinds() -> None:
    """The suite tries at least 50 kinds of bad input."""
    assert len(CASES) >= 50


# ---------------------------------------------------------------------------- hostile literals

HOSTILE = "</script><script>alert(1)</script> ]]> {{ 7*7 }} {% raw %} <!-- & &amp; \"'"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with a hostile English label on CLEAN, built."""
    project = make_tiny(tmp_path_factory.mktemp("hostile") / "project")
    path = project / "data" / "tiny.ttl"
    turtle = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    text = path.read_text(encoding="utf-8").replace('        "CLEAN"@en .', f'        "{turtle}"@en .')
    path.write_text(text, encoding="utf-8")
    code, output = run("build", "--project", str(project))
    assert code == 0, output
    return project / "site"


PAGE = "id/cluster/clean"


def _labels(graph: list[ox.Triple]) -> set[str]:
    return {t.object.value for t in graph if t.predicate.value == SKOS + "prefLabel"}


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES), ("rdf", ox.RdfFormat.RDF_XML)],
)
def test_hostile_literal_round_trips_in_rdf(hostile_site: Path, suffix: str, fmt: ox.RdfFormat) -> None:
    """Turtle, N-Triples and RDF/XML carry the hostile label unchanged (parsed back by pyoxigraph)."""
    for document in (f"{PAGE}.{suffix}", f"dataset.{suffix}"):
        triples = [q.triple for q in ox.parse(path=hostile_site / document, format=fmt)]
        assert HOSTILE in _labels(triples), document


def test_hostile_literal_in_rdfxml_is_xml(hostile_site: Path) -> None:
    """RDF/XML parses with a second, independent XML parser and holds the label as text."""
    root = ElementTree.parse(hostile_site / f"{PAGE}.rdf").getroot()
    assert HOSTILE in {element.text for element in root.iter(f"{{{SKOS}}}prefLabel")}


def test_hostile_literal_in_jsonld(hostile_site: Path) -> None:
    """The JSON-LD document holds the label as a JSON string."""
    document = json.loads((hostile_site / f"{PAGE}.jsonld").read_text(encoding="utf-8"))
    assert HOSTILE in json.dumps(document, ensure_ascii=False) or HOSTILE in _strings(document)


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str, str]] = []
        self.h1 = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            given = dict(attrs)
            # An external script is named by its src (the site's own search box); inline ones by type.
            self.scripts.append((given.get("type") or f"src={given.get('src')}", ""))
            self._in = "script"
        elif tag == "h1":
            self._in = "h1"

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            kind, text = self.scripts[-1]
            self.scripts[-1] = (kind, text + data)
        elif self._in == "h1":
            self.h1 += data


def test_hostile_literal_in_html_and_its_jsonld_script(hostile_site: Path) -> None:
    """The English page shows the label as text, and its JSON-LD <script> is one JSON document
    holding the label: no script of the label's own runs, no template expression is evaluated."""
    page = _Page()
    page.feed((hostile_site / "id/cluster/clean.en.html").read_text(encoding="utf-8"))
    assert page.h1.strip() == HOSTILE
    # The page's scripts: its JSON-LD and the site's own search script (empty, loaded by src).
    assert [kind for kind, _ in page.scripts] == ["application/ld+json", "src=../../static/search.js"]
    assert page.scripts[1][1] == ""
    assert HOSTILE in _strings(json.loads(page.scripts[0][1]))
    assert "49" not in page.h1


def test_hostile_literal_leaves_xml_and_dump_well_formed(hostile_site: Path) -> None:
    """The sitemap is well-formed XML and the N-Quads dump holds the label."""
    ElementTree.parse(hostile_site / "sitemap.xml")
    quads = ox.parse(
        gzip.decompress((hostile_site / "dataset.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS
    )
    assert HOSTILE in _labels([q.triple for q in quads])


# -------------------------------------------------------------- the last check before the swap


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        (
            "dataset.rdf",
            b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\x00</rdf:RDF>",
            "XML",
        ),
        ("sitemap.xml", b"<urlset><url></urlset>", "XML"),
        ("dataset.rdf", b"<r><oxprefix: xmlns:oxprefix='urn:1'>x</oxprefix:></r>", "XML"),
        ("catalog.rdf", b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "DOCTYPE"),
        ("context.jsonld", b'{"@context": NaN}', "NaN"),
        ("x.json", b'{"a": 1', "Expecting"),
        ("dataset.ttl", b"<http://a> <http://b> .", "Turtle"),
        ("dataset.nt", b"<http://a> <http://b> <http://c>", "N-Triples"),
        ("dataset.nq.gz", b"not gzip", "gzip"),
        ("id/a/b.html", b'<p>x</p><script type="application/ld+json">{"a": "</script>"}</script>', "JSON"),
        ("id/a/b.html", b"<p>a\x07b</p>", "U+0007"),
        ("robots.txt", b"\xff", "utf-8"),
    ],
)
def test_ill_formed_outputs_are_named(path: str, body: bytes, reason: str) -> None:
    """Each format's own parser rejects a broken file, and the problem names the file."""
    from publish.wellformed import ill_formed

    assert ill_formed([(path, body)]) and ill_formed([(path, body)])[0].startswith(f"{path}: ")
    assert reason in ill_formed([(path, body)])[0]


def test_build_refuses_to_swap_in_an_ill_formed_file(
    tiny_built: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A planned file that does not parse stops the build before the swap, naming the file."""
    import publish.build as build

    source, before = tiny_built
    project = tmp_path / "project"
    shutil.copytree(source, project)
    produced = build.produce

    def broken_produce(*args: Any, **kwargs: Any) -> Iterator[Artifact]:
        for a in produced(*args, **kwargs):
            yield Artifact(a.path, a.media_type, b"<rdf:RDF>") if str(a.path) == "dataset.rdf" else a

    monkeypatch.setattr(build, "produce", broken_produce)
    code, output = run("build", "--project", str(project))
    assert code == 1
    assert "dataset.rdf: not well-formed XML" in output and "Traceback" not in output
    assert hashes(project / "site") == before
    assert not [p for p in project.iterdir() if ".new-" in p.name]
