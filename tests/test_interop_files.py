"""Every RDF file of a built site, read by independent parsers with the network refused.

Three readers that share no code with the build (pyoxigraph and pyld write the files):
Debian's raptor (``rapper``, C) reads every Turtle, N-Triples, RDF/XML and N-Quads file;
jsonld.js (the JavaScript reference processor, pinned in tests/node) and rdflib's own JSON-LD
parser read every JSON-LD document. Each file must give exactly the triples of its N-Triples
twin (``x.ttl``/``x.rdf``/``x.jsonld`` ↔ ``x.nt``; the catalogue's forms ↔ ``catalog.ttl``).
A JSON-LD document that needs its context from the network cannot be read offline, on an
intranet, or by a harvester that does not follow links, so every load is refused (the
schema.org embeds get only schema.org's context, from tests/vocab).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from conftest import ROOT
from jsonld_support import SCHEMA_IRIS, SCHEMAORG
from rdflib import BNode, Dataset, Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from publish import exports

NODE_DIR = ROOT / "tests" / "node"
TO_NQUADS = NODE_DIR / "to-nquads.mjs"
# Files that describe the site rather than a graph of ours, so they have no N-Triples twin.
TWINLESS = {".well-known/void", "sparql-service-description.ttl", "catalog-dk.rdf"}  # DK: test_catalog.py
CATALOG_FORMS = ("catalog.ttl", "catalog.rdf", "catalog.jsonld")
SYNTAX = {".ttl": "turtle", ".nt": "ntriples", ".rdf": "rdfxml", ".well-known/void": "turtle"}
# Any client library that honours proxy variables gets a dead proxy instead of the network.
DEAD_PROXY = "http://127.0.0.1:9"

# ---------------------------------------------------------------- helpers


def offline_env() -> dict[str, str]:
    """Return the environment for a child process, every proxy variable pointing nowhere."""
    env = {key: value for key, value in os.environ.items() if key.lower() != "no_proxy"}
    for name in ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy"):
        env[name] = env[name.upper()] = DEAD_PROXY
    return env


def relative(path: Path, site: Path) -> str:
    """Return a site file's path relative to the site, with forward slashes."""
    return path.relative_to(site).as_posix()


def in_release(name: str) -> tuple[str, str]:
    """Split a site path into its stored release's folder (``release/<version>/``, or "") and the rest.

    A release holds the files a build of its data published, laid out as in the site.
    """
    parts = name.split("/", 2)
    if len(parts) == 3 and parts[0] == "release":
        return f"release/{parts[1]}/", parts[2]
    return "", name


def syntax_of(name: str) -> str | None:
    """Return raptor's parser name for a site file, or None when it is not an RDF graph file."""
    inner = in_release(name)[1]
    if inner in SYNTAX:
        return SYNTAX[inner]
    return SYNTAX.get(Path(inner).suffix)


def twin_of(name: str) -> str | None:
    """Return the file that holds the same triples as N-Triples (catalog.ttl for the catalogue)."""
    folder, name = in_release(name)
    if name in CATALOG_FORMS:
        return folder + "catalog.ttl"
    if name in TWINLESS:
        return None
    stem, _, _ = name.rpartition(".")
    return f"{folder}{stem}.nt"


def jsonld_files(site: Path) -> list[str]:
    """Return every JSON-LD document of our own graphs (not the schema.org embeds, which have no twin)."""
    return sorted(
        relative(path, site)
        for path in site.rglob("*.jsonld")
        if not in_release(relative(path, site))[1].startswith("embed/") and path.name != "context.jsonld"
    )


def rdf_files(site: Path) -> list[str]:
    """Return every Turtle, N-Triples and RDF/XML file of the site."""
    names = (relative(path, site) for path in site.rglob("*") if path.is_file())
    return sorted(name for name in names if syntax_of(name) is not None)


def parse_ntriples(text: str) -> Graph:
    """Parse N-Triples (or the default graph of N-Quads) written by another tool with rdflib."""
    return Graph().parse(data=text, format="nt")


@pytest.fixture(scope="module", autouse=True)
def exact_literals() -> Iterator[None]:
    """Keep lexical forms as written: rdflib would otherwise make "01"^^xsd:integer equal "1"."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rdflib, "NORMALIZE_LITERALS", False)
        yield


@pytest.fixture(scope="module")
def twins(built_site: Path) -> dict[str, Graph]:
    """Every twin (the .nt files and catalog.ttl), parsed once by rdflib, by site path."""
    names = {twin_of(name) for name in [*rdf_files(built_site), *jsonld_files(built_site)]} - {None}
    graphs = {}
    for name in sorted(n for n in names if n is not None):
        syntax = "turtle" if name.endswith(".ttl") else "nt"
        graphs[name] = Graph().parse(built_site / name, format=syntax)
    return graphs


def difference(expected: Graph, actual: Graph, what: str) -> str | None:
    """Return a readable diff unless the graphs are isomorphic (blank nodes matched as such)."""
    has_bnodes = any(isinstance(term, BNode) for triple in expected for term in triple)
    same = isomorphic(expected, actual) if has_bnodes else set(expected) == set(actual)
    if same:
        return None
    _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
    lines = [f"{what}: {len(actual)} triples, its twin {len(expected)}"]
    lines += [f"  missing {t}" for t in sorted(only_expected.triples((None, None, None)))[:5]]
    lines += [f"  extra   {t}" for t in sorted(only_actual.triples((None, None, None)))[:5]]
    return "\n".join(lines)


def compare_all(readings: dict[str, Graph], twins: dict[str, Graph], site_names: list[str]) -> list[str]:
    """Compare each reading with its twin; return the problems (an empty list when all agree)."""
    problems = []
    for name in site_names:
        twin = twin_of(name)
        assert twin is not None, f"{name} has no twin to compare with"
        problem = difference(twins[twin], readings[name], name)
        if problem:
            problems.append(problem)
    return problems


# ---------------------------------------------------------------- raptor


@dataclass(frozen=True, slots=True)
class Reading:
    """What rapper wrote for one file: its exit code, its output and its messages."""

    returncode: int
    output: str
    messages: str


# One bash process runs rapper over every file: a few hundred short runs, no Python per file.
# -f noNet denies the parsers any network request; the base is the local file name.
_RAPPER_LOOP = r"""
while IFS=$'\t' read -r syntax output source target; do
  rapper -q -f noNet -i "$syntax" -o "$output" "$source" >"$target.out" 2>"$target.err"
  echo $? >"$target.rc"
done
"""


def run_rapper(jobs: list[tuple[str, str, Path]], scratch: Path) -> list[Reading]:
    """Run rapper on each (input syntax, output syntax, file); return the readings in order."""
    assert shutil.which("rapper"), "rapper is missing: apt-get install raptor2-utils"
    lines = "".join(
        f"{syntax}\t{output}\t{path}\t{scratch / str(n)}\n" for n, (syntax, output, path) in enumerate(jobs)
    )
    subprocess.run(
        ["bash", "-c", _RAPPER_LOOP], input=lines, text=True, env=offline_env(), check=True, timeout=120
    )
    return [
        Reading(
            int((scratch / f"{n}.rc").read_text()),
            (scratch / f"{n}.out").read_text(encoding="utf-8"),
            (scratch / f"{n}.err").read_text(encoding="utf-8"),
        )
        for n in range(len(jobs))
    ]


@pytest.fixture(scope="module")
def raptor(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reading]:
    """rapper's reading of every RDF file of the site, and of the gunzipped N-Quads dump."""
    scratch = tmp_path_factory.mktemp("raptor")
    dump = scratch / "dataset.nq"
    dump.write_bytes(gzip.decompress((built_site / "dataset.nq.gz").read_bytes()))
    names = rdf_files(built_site)
    jobs = [(str(syntax_of(name)), "ntriples", built_site / name) for name in names]
    jobs.append(("nquads", "nquads", dump))
    readings = run_rapper(jobs, scratch)
    return dict(zip([*names, "dataset.nq.gz"], readings, strict=True))


def test_every_rdf_file_has_its_twin_or_is_known_to_have_none(built_site: Path) -> None:
    names = rdf_files(built_site)
    assert len(names) > 400  # three forms of ~150 documents, the catalogue, VoID
    missing = [name for name in names if (twin := twin_of(name)) and not (built_site / twin).is_file()]
    assert missing == []
    assert {in_release(name)[1] for name in names if twin_of(name) is None} == TWINLESS


def test_raptor_reads_every_rdf_file_without_error_or_warning(raptor: dict[str, Reading]) -> None:
    problems = [
        f"{name}: exit {reading.returncode}: {reading.messages.strip()}"
        for name, reading in raptor.items()
        if reading.returncode != 0 or reading.messages.strip()
    ]
    assert problems == []
    assert all(reading.output for reading in raptor.values()), "a file gave no triples"


def test_raptor_reads_every_file_as_its_ntriples_twin(
    raptor: dict[str, Reading], twins: dict[str, Graph]
) -> None:
    names = [name for name in raptor if name != "dataset.nq.gz" and twin_of(name)]
    readings = {name: parse_ntriples(raptor[name].output) for name in names}
    assert compare_all(readings, twins, names) == []


def test_raptor_reads_the_dump_quad_for_quad(raptor: dict[str, Reading], built_site: Path) -> None:
    written = gzip.decompress((built_site / "dataset.nq.gz").read_bytes()).decode("utf-8")
    expected, actual = quads_of(written), quads_of(raptor["dataset.nq.gz"].output)
    assert len(actual) == len(expected) > 0
    # rapper may rename blank nodes; every quad without one must come back exactly.
    assert {q for q in actual if not has_bnode(q)} == {q for q in expected if not has_bnode(q)}


def quads_of(nquads: str) -> set[tuple[Any, ...]]:
    """Parse N-Quads with rdflib into a set of (subject, predicate, object, graph name)."""
    dataset = Dataset()
    with warnings.catch_warnings():
        # rdflib 7.6's N-Quads parser calls Dataset.default_context, which rdflib deprecates.
        warnings.filterwarnings("ignore", "Dataset.default_context is deprecated", DeprecationWarning)
        dataset.parse(data=nquads, format="nquads")
    return {(s, p, o, g) for s, p, o, g in dataset.quads((None, None, None, None))}


def has_bnode(quad: tuple[Any, ...]) -> bool:
    """Tell whether a quad holds a blank node."""
    return any(isinstance(term, BNode) for term in quad)


# ---------------------------------------------------------------- jsonld.js


def jsonld_js(
    names: list[str], folder: Path, serve: dict[str, Path] | None = None
) -> dict[str, dict[str, str]]:
    """Convert JSON-LD files (relative to ``folder``) to N-Quads with jsonld.js, in one process.

    ``serve`` maps the only IRIs jsonld.js may load to local files; every other load fails.
    """
    assert (NODE_DIR / "node_modules" / "jsonld").is_dir(), "run: npm ci --prefix tests/node"
    served = [arg for iri, path in (serve or {}).items() for arg in ("--serve", f"{iri}={path}")]
    done = subprocess.run(
        ["node", str(TO_NQUADS), *served],
        input="".join(f"{name}\n" for name in names),
        cwd=folder,
        env=offline_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results: dict[str, dict[str, str]] = json.loads(done.stdout)
    return results


def test_jsonld_js_reads_every_jsonld_file_offline_as_its_twin(
    built_site: Path, twins: dict[str, Graph]
) -> None:
    names = jsonld_files(built_site)
    assert len(names) > 150
    results = jsonld_js(names, built_site)
    errors = [f"{name}: {result['error']}" for name, result in results.items() if "error" in result]
    assert errors == []
    readings = {name: parse_ntriples(result["nquads"]) for name, result in results.items()}
    assert compare_all(readings, twins, names) == []


def test_jsonld_js_reads_every_schemaorg_embed_losslessly_offline(built_site: Path) -> None:
    # The embeds refer to schema.org's context by design (what editors paste, what search
    # engines read); served from tests/vocab. Safe mode fails on a relative IRI or anything
    # dropped; test_pages checks each type and property against the schema.org vocabulary.
    names = sorted(relative(path, built_site) for path in (built_site / "embed").rglob("*.jsonld"))
    assert len(names) > 150
    schema_context = SCHEMAORG / "schemaorgcontext.jsonld"
    results = jsonld_js(names, built_site, serve=dict.fromkeys(SCHEMA_IRIS, schema_context))
    assert [f"{name}: {result['error']}" for name, result in results.items() if "error" in result] == []
    assert [name for name, result in results.items() if not result["nquads"].strip()] == []


# ---------------------------------------------------------------- rdflib's JSON-LD parser


class NetworkRefusedError(OSError):
    """Raised by the patched socket layer: the test allows no connection and no name lookup."""


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise NetworkRefusedError(f"the test refuses network access ({args[:2]!r})")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every name lookup and connection in this process fail."""
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket.socket, "connect", _refuse)


@pytest.mark.usefixtures("no_network")
def test_the_network_is_refused() -> None:
    with pytest.raises(NetworkRefusedError):
        socket.create_connection(("w3id.org", 443), timeout=1)
    with pytest.raises(OSError):  # urllib wraps the refusal, as it does for rdflib's URL loads
        Graph().parse("https://w3id.org/klyngedata/context.jsonld", format="json-ld")


@pytest.mark.usefixtures("no_network")
def test_rdflib_reads_every_jsonld_file_offline_as_its_twin(
    built_site: Path, twins: dict[str, Graph]
) -> None:
    names = jsonld_files(built_site)
    readings, errors = {}, []
    for name in names:
        try:
            readings[name] = rdflib_jsonld(built_site / name)
        except Exception as exc:  # noqa: BLE001 - report every file, not just the first
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    assert errors == []
    assert compare_all(readings, twins, names) == []


def rdflib_jsonld(path: Path) -> Graph:
    """Parse a JSON-LD file with rdflib's own JSON-LD parser."""
    with warnings.catch_warnings():
        # rdflib 7.6's JSON-LD parser builds a ConjunctiveGraph, which rdflib deprecates.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(path, format="json-ld")


# ---------------------------------------------------------------- the inline contexts


def test_every_jsonld_file_carries_its_context_inline(built_site: Path) -> None:
    remote = []
    for name in jsonld_files(built_site):
        context = json.loads((built_site / name).read_text(encoding="utf-8"))["@context"]
        if not isinstance(context, dict):
            remote.append(f"{name}: {context!r}")
    assert remote == []


def test_inline_contexts_use_the_published_terms(built_site: Path) -> None:
    disagree = []
    for name in jsonld_files(built_site):
        release, inside = in_release(name)
        if inside in CATALOG_FORMS:
            continue  # the catalogue speaks DCAT-AP: its own terms and prefixes (README)
        # A stored release is frozen with the context its build published, beside it.
        shared = built_site / release / "context.jsonld"
        published = json.loads(shared.read_text(encoding="utf-8"))["@context"]
        context = json.loads((built_site / name).read_text(encoding="utf-8"))["@context"]
        disagree += [f"{name}: {key}" for key, value in context.items() if published.get(key) != value]
    assert disagree == []


# ---------------------------------------------------------------- the hard cases of compaction

EX = "http://example.org/v#"
AREA_NS = "https://w3id.org/klyngedata/id/area/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCT = "http://purl.org/dc/terms/"
PREFIXES = {"rdf": RDF, "xsd": XSD, "dcterms": DCT, "ex": EX, "area": AREA_NS}


def _t(subject: ox.NamedNode | ox.BlankNode, predicate: str, value: Any) -> ox.Triple:
    return ox.Triple(subject, ox.NamedNode(predicate), value)


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


SITE_WIDE = [  # what the shared context is derived from: each term gets one coercion
    _t(ox.NamedNode(AREA_NS + "a"), EX + "label", ox.Literal("x", language="da")),
    _t(ox.NamedNode(AREA_NS + "a"), EX + "link", ox.NamedNode(AREA_NS + "b")),
    _t(ox.NamedNode(AREA_NS + "a"), EX + "n", _typed("1", XSD + "integer")),
]
_A, _B, _NS, _BLANK = (
    ox.NamedNode(AREA_NS + "a"),
    ox.NamedNode(AREA_NS + "b"),
    ox.NamedNode(AREA_NS),
    ox.BlankNode("x1"),
)
HARD_CASES = {
    "values-against-coercion": [  # a language map meets plain, typed and region-tagged values
        _t(_A, EX + "label", ox.Literal("plain")),
        _t(_A, EX + "label", _typed("2", XSD + "integer")),
        _t(_A, EX + "label", ox.Literal("hi", language="en-GB")),
        _t(_A, EX + "link", ox.Literal("an IRI term meets a literal")),
        _t(_A, EX + "link", _BLANK),
        _t(_BLANK, EX + "link", _NS),
        _t(_A, EX + "n", _typed("1.0", XSD + "decimal")),
        _t(_A, EX + "n", ox.Literal("@id")),
    ],
    "types": [  # rdf:type with a literal, a class that is a prefix's namespace
        _t(_A, RDF + "type", ox.Literal("a literal type")),
        _t(_A, RDF + "type", ox.NamedNode(EX + "C")),
        _t(_B, RDF + "type", _NS),
        _t(_B, RDF + "type", _BLANK),
    ],
    "names-taken": [  # dcterms:type and ex:id must not become the aliases "type" and "id"
        _t(_NS, DCT + "type", ox.NamedNode(EX + "id")),
        _t(_NS, EX + "id", ox.Literal("")),
        _t(_NS, EX + "type", ox.Literal("@type")),
        _t(_NS, DCT, ox.Literal("the predicate is a namespace")),
    ],
    "iri-with-a-prefix-as-scheme": [  # <area:foo> is an absolute IRI, not area: + foo
        _t(_A, EX + "link", ox.NamedNode("area:foo")),
        _t(ox.NamedNode("ex:bar"), EX + "label", ox.Literal("y", language="da")),
        _t(_A, EX + "link", _B),
    ],
    "empty": [],
}


@pytest.fixture(scope="module")
def hard_cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each hard case written as JSON-LD (with the site-wide context) and as N-Triples."""
    folder = tmp_path_factory.mktemp("hard-cases")
    context = exports.make_context([*SITE_WIDE, *(t for case in HARD_CASES.values() for t in case)], PREFIXES)
    for name, triples in HARD_CASES.items():
        (folder / f"{name}.jsonld").write_bytes(exports.jsonld(triples, context))
        (folder / f"{name}.nt").write_bytes(exports.ntriples(triples))
    return folder


@pytest.mark.parametrize("reader", ["jsonld.js", "rdflib"])
def test_hard_cases_keep_every_triple(reader: str, hard_cases: Path, no_network: None) -> None:
    names = [f"{name}.jsonld" for name in HARD_CASES]
    if reader == "jsonld.js":
        results = jsonld_js(names, hard_cases)
        assert [f"{n}: {r['error']}" for n, r in results.items() if "error" in r] == []
        readings = {name: parse_ntriples(result["nquads"]) for name, result in results.items()}
    else:
        readings = {name: rdflib_jsonld(hard_cases / name) for name in names}
    twins = {f"{name}.nt": Graph().parse(hard_cases / f"{name}.nt", format="nt") for name in HARD_CASES}
    assert compare_all(readings, twins, names) == []
