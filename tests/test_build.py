"""`klyngedata build`: every file, four isomorphic serialisations, reproducible, atomic."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from conftest import BASE, BROKEN, PREFIX_DECLARATION, SECOND_BASE, break_copy, copy_project, make_tiny
from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, to_isomorphic
from rdflib.namespace import SKOS, XSD

from publish import build as build_module
from publish import formats, sitefiles
from publish.build import MARKER, plan, write_site
from publish.cli import main
from publish.config import load_config
from publish.dataset import load
from publish.errors import BuildError
from publish.uris import Uris

GRAPHS = {part: URIRef(f"{BASE}graph/{part}") for part in ("ontology", "data", "shapes")}
KD = f"{BASE}ontology#"
AREA = URIRef(f"{BASE}id/area/miljoeteknologi")
CLEAN = URIRef(f"{BASE}id/cluster-designation/clean")

# ---------------------------------------------------------------- helpers


def snapshot(folder: Path) -> dict[str, str]:
    """Return the SHA-256 of every file under ``folder``, hidden ones included, by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def assert_isomorphic(expected: Graph, actual: Graph, what: str) -> None:
    """Fail with the triples only in one graph or the other unless the graphs are isomorphic."""
    left, right = to_isomorphic(expected), to_isomorphic(actual)
    if left != right:
        _, only_expected, only_actual = graph_diff(left, right)
        lines = [f"{what}: graphs differ", "only expected:"]
        lines += sorted(f"  {t}" for t in only_expected.triples((None, None, None)))[:20]
        lines += ["only actual:"] + sorted(f"  {t}" for t in only_actual.triples((None, None, None)))[:20]
        raise AssertionError("\n".join(lines))


def offline_loader(site: Path, requested: list[str]) -> Callable[..., dict[str, Any]]:
    """Return a pyld document loader serving the site's own context and refusing anything else."""
    context_iri = Uris(BASE).context

    def load_document(url: str, options: object = None) -> dict[str, Any]:
        requested.append(url)
        if url != context_iri:
            raise ValueError(f"the test refuses to fetch {url}")
        document = json.loads((site / "context.jsonld").read_text(encoding="utf-8"))
        return {"contextUrl": None, "documentUrl": url, "document": document}

    return load_document


def read_graph(path: Path, site: Path) -> Graph:
    """Parse one published RDF document (Turtle, N-Triples or JSON-LD) into a graph."""
    if path.suffix == ".jsonld":
        requested: list[str] = []
        document = json.loads(path.read_text(encoding="utf-8"))
        nquads = jsonld.to_rdf(
            document, {"format": "application/n-quads", "documentLoader": offline_loader(site, requested)}
        )
        assert set(requested) <= {Uris(BASE).context}
        return Graph().parse(data=nquads, format="nt")
    return Graph().parse(path, format="turtle" if path.suffix == ".ttl" else "nt")


def to_rdflib(term: Any) -> Any:
    """Return the rdflib term for a pyoxigraph term (xsd:string literals as plain literals)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype == ox.NamedNode(str(XSD.string)):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def read_dump(site: Path, *parts: str) -> Graph:
    """Return the union of the gzipped N-Quads dump's named graphs for ``parts``."""
    names = {ox.NamedNode(str(GRAPHS[part])) for part in parts}
    quads = ox.parse(gzip.decompress((site / "dataset.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    union = Graph()
    for quad in quads:
        if quad.graph_name in names:
            union.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return union


def run_build(*args: str) -> Result:
    """Run `klyngedata build` in-process (exceptions propagate: a traceback fails the test)."""
    return CliRunner().invoke(main, ["build", *args], catch_exceptions=False)


def rebase(graph: Graph, old: str, new: str) -> Graph:
    """Return a copy of ``graph`` with every IRI (and datatype IRI) under ``old`` moved under ``new``."""

    def move(term: Any) -> Any:
        if isinstance(term, URIRef) and str(term).startswith(old):
            return URIRef(new + str(term)[len(old) :])
        if isinstance(term, Literal) and term.datatype and str(term.datatype).startswith(old):
            return Literal(str(term), datatype=move(term.datatype))
        return term

    moved = Graph()
    for s, p, o in graph:
        moved.add((move(s), move(p), move(o)))
    return moved


@pytest.fixture(scope="module")
def rebased_site(tmp_path_factory: pytest.TempPathFactory, built_site: Path) -> Path:
    """The project built with SECOND_BASE over a site built earlier with the first base."""
    project = copy_project(tmp_path_factory.mktemp("rebased") / "project", base=SECOND_BASE)
    shutil.copytree(built_site, project / "site")
    result = run_build("--project", str(project))
    assert result.exit_code == 0, result.output
    return project / "site"


# ---------------------------------------------------------------- what is written


@pytest.mark.parametrize(
    "name",
    [
        "dataset.ttl",
        "dataset.jsonld",
        "dataset.nt",
        "dataset.nq.gz",
        "context.jsonld",
        "ontology.ttl",
        "ontology.jsonld",
        "ontology.nt",
        "shapes.ttl",
        "shapes.jsonld",
        "shapes.nt",
    ],
)
def test_build_writes_the_dataset_files(name: str, built_site: Path) -> None:
    assert (built_site / name).is_file()
    assert (built_site / name).stat().st_size > 0


def test_every_resource_has_its_three_documents(built_site: Path) -> None:
    uris = Uris(BASE)
    data = Graph().parse(built_site / "dataset.nt", format="nt")
    resources = {
        term
        for triple in data
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(f"{BASE}id/")
    }
    assert URIRef(f"{BASE}id/area/miljoeteknologi") in resources
    for iri in sorted(resources):
        for fmt in formats.rdf_documents():
            assert (built_site / uris.document_path(str(iri), fmt)).is_file(), f"no {fmt.suffix} for {iri}"
        described = Graph().parse(built_site / uris.document_path(str(iri), formats.NTRIPLES), format="nt")
        assert (iri, None, None) in described, f"the document of {iri} does not describe it"


@pytest.mark.parametrize("stem", ["dataset", "ontology", "shapes"])
def test_serialisations_parse_back_isomorphic(stem: str, built_site: Path) -> None:
    turtle = read_graph(built_site / f"{stem}.ttl", built_site)
    assert len(turtle) > 0
    assert_isomorphic(turtle, read_graph(built_site / f"{stem}.nt", built_site), f"{stem}.nt")
    assert_isomorphic(turtle, read_graph(built_site / f"{stem}.jsonld", built_site), f"{stem}.jsonld")


def test_dataset_is_the_ontology_and_the_data(built_site: Path, project: Path) -> None:
    sources = Graph()
    for path in sorted([*(project / "ontology").glob("*.ttl"), *(project / "data").glob("*.ttl")]):
        sources.parse(path, format="turtle", publicID=BASE)
    assert_isomorphic(sources, read_graph(built_site / "dataset.ttl", built_site), "dataset.ttl")


@pytest.mark.parametrize(
    ("stem", "parts"),
    [("dataset", ("ontology", "data")), ("ontology", ("ontology",)), ("shapes", ("shapes",))],
)
def test_dump_graphs_match_the_documents(stem: str, parts: tuple[str, ...], built_site: Path) -> None:
    expected = read_graph(built_site / f"{stem}.ttl", built_site)
    assert_isomorphic(expected, read_dump(built_site, *parts), f"dump graphs {parts}")


def test_dump_has_exactly_the_four_named_graphs(built_site: Path) -> None:
    quads = ox.parse(
        gzip.decompress((built_site / "dataset.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS
    )
    names = {quad.graph_name for quad in quads}
    catalog = ox.NamedNode(f"{BASE}graph/catalog")  # the DCAT-AP catalogue (tests/test_catalog.py)
    assert names == {ox.NamedNode(str(iri)) for iri in GRAPHS.values()} | {catalog}


def test_context_expands_every_prefix_the_data_declares(built_site: Path, project: Path) -> None:
    declared: dict[str, str] = {}
    for path in sorted((project / "data").glob("*.ttl")):
        declared.update(PREFIX_DECLARATION.findall(path.read_text(encoding="utf-8")))
    loader = offline_loader(built_site, [])
    lost = []
    for name, namespace in sorted(declared.items()):
        document = {"@context": Uris(BASE).context, "@id": f"{name}:probe", "http://example.org/p": "v"}
        (node,) = jsonld.expand(document, {"documentLoader": loader})
        # urljoin drops an empty fragment ("ontology#"), Turtle keeps it.
        expected = urljoin(BASE, namespace)
        if namespace.endswith("#") and not expected.endswith("#"):
            expected += "#"
        expected += "probe"
        if node["@id"] != expected:
            lost.append(f"{name}: expands to {node['@id']}")
    assert lost == [], "context.jsonld does not expand these prefixes of the data"


def test_area_description_holds_labels_and_incoming_links(built_site: Path) -> None:
    described = read_graph(built_site / "id" / "area" / "miljoeteknologi.ttl", built_site)
    # The page's Danish heading, the Board's English term, and CLEAN's designation for the area.
    assert (AREA, SKOS.prefLabel, Literal("Miljøteknologi", lang="da")) in described
    assert (AREA, SKOS.prefLabel, Literal("Environmental technology", lang="en")) in described
    assert (CLEAN, URIRef(KD + "forArea"), AREA) in described


def test_area_description_is_its_triples_and_the_links_to_it(built_site: Path, project: Path) -> None:
    data = Graph()
    for path in sorted((project / "data").glob("*.ttl")):
        data.parse(path, format="turtle", publicID=BASE)
    expected = Graph()
    stack: list[Any] = [AREA]
    while stack:
        node = stack.pop()
        for s, p, o in data.triples((node, None, None)):
            expected.add((s, p, o))
            if isinstance(o, BNode):
                stack.append(o)
    for triple in data.triples((None, None, AREA)):
        expected.add(triple)
    for suffix in ("ttl", "nt", "jsonld"):
        path = built_site / "id" / "area" / f"miljoeteknologi.{suffix}"
        assert_isomorphic(expected, read_graph(path, built_site), path.name)


# ---------------------------------------------------------------- reproducible and rebased


def test_two_builds_are_byte_identical(built_site: Path, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "again")
    result = run_build("--project", str(project), "--output", str(tmp_path / "elsewhere"))
    assert result.exit_code == 0, result.output
    assert snapshot(tmp_path / "elsewhere") == snapshot(built_site)


def test_rebased_build_has_no_trace_of_the_old_base(rebased_site: Path) -> None:
    files = [path for path in sorted(rebased_site.rglob("*")) if path.is_file()]
    assert len(files) > 100
    # Stored releases are published as they were made, under the base they were made with.
    frozen = [path for path in files if path.relative_to(rebased_site).parts[0] == "release"]
    assert frozen and all(BASE.encode() in path.read_bytes() for path in frozen if path.suffix == ".ttl")
    for path in (path for path in files if path not in frozen):
        body = path.read_bytes()
        if path.name.endswith(".gz"):
            body = gzip.decompress(body)
        assert BASE.encode() not in body, f"{path.relative_to(rebased_site)} still holds {BASE}"


def test_rebased_build_publishes_the_same_files(rebased_site: Path, built_site: Path) -> None:
    assert snapshot(rebased_site).keys() == snapshot(built_site).keys()


def test_rebased_dataset_is_the_same_graph_under_the_new_base(rebased_site: Path, built_site: Path) -> None:
    first = read_graph(built_site / "dataset.nt", built_site)
    second = Graph().parse(rebased_site / "dataset.nt", format="nt")
    assert_isomorphic(first, rebase(second, SECOND_BASE, BASE), "rebased dataset.nt")


# ---------------------------------------------------------------- failures leave the site alone


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_copy_fails_and_leaves_the_site_unchanged(
    name: str, project: Path, built_site: Path, cli: Callable[..., Result]
) -> None:
    shutil.copytree(built_site, project / "site")  # a site an earlier build made
    before = snapshot(project / "site")
    expected = break_copy(project, name)
    entries = sorted(path.name for path in project.iterdir())
    result = cli("build", "--project", str(project))
    assert result.exit_code != 0, result.output
    for pattern in expected:
        assert re.search(pattern, result.output), f"{pattern!r} not in:\n{result.output}"
    assert "Traceback" not in result.output
    assert snapshot(project / "site") == before
    assert sorted(path.name for path in project.iterdir()) == entries


def test_build_refuses_a_folder_it_did_not_make(
    project: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my own notes\n", encoding="utf-8")
    entries = sorted(path.name for path in tmp_path.iterdir())
    result = cli("build", "--project", str(project), "--output", str(mine))
    assert result.exit_code != 0, result.output
    assert str(mine) in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(mine) == {"notes.txt": hashlib.sha256(b"my own notes\n").hexdigest()}
    assert sorted(path.name for path in tmp_path.iterdir()) == entries


@pytest.fixture
def existing_site(project: Path, built_site: Path) -> tuple[Path, list[Any]]:
    """A project whose site an earlier build made, and the artifacts of a new build of it."""
    shutil.copytree(built_site, project / "site")
    config = load_config(project)
    return project / "site", plan(load(config), config)


def test_interrupted_write_leaves_the_old_site(
    existing_site: tuple[Path, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, artifacts = existing_site
    before = snapshot(site)
    entries = sorted(path.name for path in site.parent.iterdir())
    written: list[Path] = []
    real_write = Path.write_bytes
    # Files with the same bytes are written once (the others are hard links to it).
    half = len({a.body for a in artifacts}) // 2

    def flaky_write(self: Path, data: bytes) -> int:
        if len(written) >= half:
            raise OSError(28, "No space left on device")
        written.append(self)
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky_write)
    with pytest.raises(BuildError, match="No space left on device"):
        write_site(site, artifacts)
    assert len(written) >= half > 0
    assert snapshot(site) == before
    assert sorted(path.name for path in site.parent.iterdir()) == entries


def test_failed_swap_leaves_the_old_site(
    existing_site: tuple[Path, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the OS has no atomic exchange, a failure moving the new site in keeps the old one."""
    site, artifacts = existing_site
    before = snapshot(site)
    entries = sorted(path.name for path in site.parent.iterdir())
    real_rename = os.rename

    def rename(source: Any, target: Any) -> None:
        if Path(source).name.startswith(f".{site.name}.new-"):
            raise OSError(13, "Permission denied")
        real_rename(source, target)

    monkeypatch.setattr(build_module.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(build_module.os, "rename", rename)
    with pytest.raises(BuildError):
        write_site(site, artifacts)
    assert snapshot(site) == before
    assert sorted(path.name for path in site.parent.iterdir()) == entries


def test_rebuild_replaces_a_site_it_made(existing_site: tuple[Path, list[Any]]) -> None:
    site, artifacts = existing_site
    (site / "id" / "area" / "retired-area.ttl").write_text("# from an older build\n", encoding="utf-8")
    write_site(site, artifacts)
    assert set(snapshot(site)) == {str(a.path) for a in artifacts} | {MARKER}


def test_a_stylesheet_that_would_close_the_404_style_element_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Result]
) -> None:
    """404.html inlines the stylesheet: a '</' in it is a BuildError (exit 1), not a ValueError."""
    project = make_tiny(tmp_path / "tiny")
    # A template stands in for a stylesheet with '</' in it (every template has end tags).
    monkeypatch.setattr(sitefiles, "STYLESHEET", PurePosixPath("templates/_base.html.j2"))
    result = cli("build", "--project", str(project))
    assert result.exit_code == 1, result.output
    assert "holds '</', which would close the <style> element of 404.html" in result.stderr
    assert "Traceback" not in result.output and not (project / "site").exists()


def test_the_triples_of_parts_together_are_each_statement_once_in_text_order(project: Path) -> None:
    # LoadedDataset.triples merges the parts' own sorted triples: the answer must be what
    # sorting the distinct triples of the quads gives, with a statement in two parts (here a
    # data statement repeated in the shapes) once, and texts that begin with another's ("a" and
    # "a"@da, _:b1 and _:b12) in order.
    area = f"<{BASE}id/area/miljoeteknologi>"
    note = "<http://www.w3.org/2004/02/skos/core#editorialNote>"
    shared = f'{area} {note} "a" .'
    extra = [
        shared,
        f'{area} {note} "a"@da .',
        f"{area} {note} _:b1 .",
        f"{area} {note} _:b12 .",
        f'_:b1 {note} "x" .',
        f'_:b12 {note} "x" .',
    ]
    (project / "data" / "extra.ttl").write_text("\n".join(extra) + "\n", encoding="utf-8")
    (project / "shapes" / "extra.ttl").write_text(shared + "\n", encoding="utf-8")
    dataset = load(load_config(project))
    for parts in [(), ("ontology", "data"), ("data",), ("ontology",), ("shapes",), ("data", "shapes")]:
        names = parts or tuple(dataset.parts)
        expected = sorted({q.triple for name in names for q in dataset.parts[name]}, key=str)
        assert dataset.triples(*parts) == expected, parts
    statement = next(t for t in dataset.triples("shapes") if str(t.predicate) == note)
    assert dataset.triples().count(statement) == 1 and statement in dataset.triples("data")
