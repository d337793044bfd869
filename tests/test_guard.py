"""The query guard alone: what a query may do is decided on a parse tree (publish/guard.py)."""

from __future__ import annotations

import random
import time

import pytest
from conftest import BASE
from fuzzing import PIECES, SEEDS
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery

from publish import guard
from publish.errors import QueryError
from publish.guard import QueryPlan, canonical, check_query, check_size, nesting_depth, rdflib_plan, tree_plan

GRAPHS = frozenset({BASE + "graph/data", BASE + "graph/ontology"})
REMOTE = "http://127.0.0.1:9/sparql"
OUTBOUND = "never makes outbound requests"


def check(text: str, *, depth: int = 64) -> QueryPlan:
    return check_query(text, base=BASE, allowed_graphs=GRAPHS, max_length=65_536, max_depth=depth)


def refused(text: str) -> str:
    with pytest.raises(QueryError) as caught:
        check(text)
    return caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # c\r SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # c\r SERVICE <{REMOTE}> {{ ?s ?p ?o }} \n }}",
        f"SELECT * WHERE {{ # c\r\n SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }} # a comment at the end of input",
        f"select * where {{ service <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SeRvIcE SiLeNt <{REMOTE}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { BIND(<http://127.0.0.1:9/> AS ?e) SERVICE ?e { ?s ?p ?o } }",
        f"SELECT * WHERE {{ \\u0053ERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\U00000053ERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{REMOTE}> {{ ?s ?q ?r }} }} }}",
        f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o MINUS {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
        f"DESCRIBE ?s WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}",
    ],
)
def test_every_service_variant_is_refused(text: str) -> None:
    assert OUTBOUND in refused(text)


def test_a_comment_ended_by_cr_hides_nothing_from_the_guard() -> None:
    # SPARQL ends a comment at CR (grammar rule 20, COMMENT excludes #xD); rdflib ends it at LF
    # only, so rdflib alone reads this query as one with no SERVICE. The guard checks (and the
    # engine runs) the canonical text, where the CR is a LF.
    text = f"SELECT * WHERE {{ # c\r SERVICE <{REMOTE}> {{ ?s ?p ?o }} \n }}"
    assert "ServiceGraphPattern" not in repr(parseQuery(text))
    assert OUTBOUND in refused(text)


@pytest.mark.parametrize(
    ("text", "graph"),
    [
        ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "file:///etc/passwd"),
        ("SELECT * # c\rFROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "file:///etc/passwd"),
        (f"SELECT * FROM <{REMOTE}> WHERE {{ ?s ?p ?o }}", REMOTE),
        (f"SELECT * FROM NAMED <{REMOTE}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", REMOTE),
        ("SELECT * FROM <../../etc/passwd> WHERE { ?s ?p ?o }", "https://w3id.org/etc/passwd"),
        (
            "BASE <http://127.0.0.1:9/> SELECT * FROM <graph/data> WHERE { ?s ?p ?o }",
            "http://127.0.0.1:9/graph/data",
        ),
        (
            "PREFIX r: <http://127.0.0.1:9/> SELECT * FROM NAMED r:g WHERE { ?s ?p ?o }",
            "http://127.0.0.1:9/g",
        ),
        ("SELECT * FROM <\\u0066ile:///etc/passwd> WHERE { ?s ?p ?o }", "file:///etc/passwd"),
    ],
)
def test_from_outside_the_dataset_is_refused_naming_the_resolved_graph(text: str, graph: str) -> None:
    message = refused(text)
    assert f"<{graph}> is not a graph of this dataset" in message and BASE + "graph/data" in message


def test_from_a_dataset_graph_resolves_relative_and_prefixed_names() -> None:
    plan = check(
        "PREFIX g: <https://w3id.org/klyngedata/graph/> "
        "SELECT * FROM <graph/data> FROM NAMED g:ontology WHERE { ?s ?p ?o }"
    )
    assert plan == QueryPlan(plan.text, "SELECT", (BASE + "graph/data",), (BASE + "graph/ontology",))


@pytest.mark.parametrize(
    "text",
    [
        "BASE <http://127.]0.0.1:9/> SELECT * FROM <graph/data> WHERE { ?s ?p ?o }",
        "PREFIX a: <//[x> SELECT * FROM a:b WHERE { ?s ?p ?o }",
        "BASE <//[x> PREFIX a: <b/> SELECT * FROM NAMED a:c WHERE { ?s ?p ?o }",
    ],
)
def test_an_iri_that_cannot_be_resolved_is_refused_as_a_query_error(text: str) -> None:
    # urljoin raised ValueError ('Invalid IPv6 URL'): the worker died on it and the endpoint
    # blamed the query's memory
    assert "cannot be resolved: Invalid IPv6 URL" in refused(text)


@pytest.mark.parametrize(
    "text",
    [
        f"LOAD <{REMOTE}>",
        f"LOAD SILENT <{REMOTE}> INTO GRAPH <urn:g>",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "CLEAR ALL",
        "DROP GRAPH <urn:g>",
        "CREATE GRAPH <urn:g>",
        "COPY DEFAULT TO <urn:g>",
        "# c\rCLEAR ALL",
        "\\u0043LEAR ALL",
    ],
)
def test_updates_are_refused_as_read_only(text: str) -> None:
    assert "read-only" in refused(text)


def test_what_rdflib_cannot_parse_is_refused_with_line_and_column() -> None:
    message = refused("SELECT * WHERE {\n  ?s ?p\n}")
    assert message.splitlines() == [
        "SPARQL syntax error at line 2, column 3: Expected SelectQuery",
        "    ?s ?p",
        "    ^",
    ]


def test_an_escape_that_spells_another_escape_is_refused() -> None:
    # \u005C is a backslash: expanded once it would spell \u0053 (S) for a second pass.
    assert "spells another escape" in refused("SELECT * WHERE { \\u005Cu0053ERVICE <urn:x> {} }")


def test_the_checked_text_is_the_canonical_one() -> None:
    plan = check("SELECT * WHERE { # c\r ?s ?p ?o }")
    assert plan.text == "SELECT * WHERE { # c\n ?s ?p ?o }"


def test_nesting_is_bounded_before_any_parser() -> None:
    assert check("SELECT * WHERE " + "{" * 64 + "}" * 64)
    message = refused("SELECT * WHERE " + "{" * 65 + "}" * 65)
    assert "nests brackets 65 deep" in message and "max_query_depth" in message
    # 10,000 levels once crashed the engine; now no parser ever sees them
    started = time.perf_counter()
    assert "10000 deep" in refused("SELECT * WHERE " + "{" * 10_000 + "}" * 10_000)
    assert time.perf_counter() - started < 0.5


def test_brackets_in_strings_comments_and_iris_do_not_count() -> None:
    assert nesting_depth('SELECT * WHERE { ?s ?p "{{{{(((" . ?s ?p <urn:((> } # ]]]]{{{{') == 1
    # a closing bracket in a string cannot hide real nesting
    hidden = "SELECT * WHERE " + '{ ?s ?p "}" . ' * 70 + "}" * 70
    assert nesting_depth(hidden) == 70


def test_length_is_bounded() -> None:
    with pytest.raises(QueryError, match="max_query_length"):
        check_size("ASK {}" + " " * 100, max_length=100, max_depth=64)


def test_the_guard_costs_milliseconds_per_query() -> None:
    # The hot path of an uncached query; README "Hostile requests" gives the measured figures.
    text = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 10"
    check(text)
    started = time.perf_counter()
    for _ in range(20):
        check(text)
    assert (time.perf_counter() - started) / 20 < 0.05


def _verdict(decide: object, text: str) -> object:
    try:
        return decide(text, BASE)  # type: ignore[operator]
    except QueryError as exc:
        return exc.message


SAMPLES = [
    f"SELECT * WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ SERVICE <{REMOTE}> {{ }} }} }}",
    "PREFIX r: <http://127.0.0.1:9/> SELECT * FROM NAMED r:g FROM <graph/data> WHERE { ?s ?p ?o }",
    "BASE <http://127.0.0.1:9/> PREFIX : <a/> SELECT * FROM :b WHERE { ?s ?p ?o }",
    "PREFIX e: <https://w3id.org/klyngedata/graph/> SELECT * FROM e:data WHERE { ?s ?p ?o }",
    """SELECT * WHERE { ?s ?p '''a'b''c''' . ?s ?p "x\\"y" } VALUES ?s { <a> }""",
    "SELECT * { GRAPH ?g { ?s ?p ?o } MINUS { ?s a [] } OPTIONAL { ?s ?p (1 2 3) } }",
    "SELECT (COUNT(?s) AS ?n) { ?s ?p ?o } GROUP BY ?p HAVING(COUNT(?s) > 1) ORDER BY DESC(?n)",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), 'a#b', 'i') && ?o < 3) }",
    'SELECT * WHERE { ?s <urn:a#SERVICE> "SERVICE <x> { }" } # SERVICE <x> { }',
]


def _corpus() -> list[str]:
    """Seed queries, the samples above, and 3,000 mutations of them (fixed seed)."""
    seeds = SEEDS + SAMPLES
    pieces = PIECES + [" SERVICE <http://x/> { } ", " } ", '"""', "'''", "\\", "#"]
    rng = random.Random(11)
    corpus = list(seeds)
    for _ in range(3000):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(text))
            if rng.random() < 0.3:
                text = text[:at] + text[at + rng.randint(1, 6) :]
            else:
                text = text[:at] + rng.choice(pieces) + text[at:]
        corpus.append(text)
    return corpus


def test_the_fast_tree_decides_as_rdflib_wherever_both_decide() -> None:
    # tree-sitter's grammar decides a plain query; rdflib, the reference, decides the rest. On
    # every query both read they reach the same decision (plan or refusal, same message); a
    # query only the fast path reads (rdflib's grammar has gaps) holds no SERVICE.
    decided = 0
    for written in _corpus():
        try:
            check_size(written, max_length=65_536, max_depth=64)
            text = canonical(written)
        except QueryError:
            continue
        fast = _verdict(tree_plan, text)
        if fast is None:
            continue
        decided += 1
        slow = _verdict(rdflib_plan, text)
        if isinstance(slow, str) and ("syntax error" in slow or "cannot be checked" in slow):
            assert not isinstance(fast, QueryPlan) or "SERVICE" not in text.upper(), text
            continue
        assert fast == slow, text
    assert decided > 300


def test_the_fast_tree_leaves_what_it_cannot_read_to_rdflib() -> None:
    assert tree_plan("SELECT * WHERE { ?s ?p ?o ", BASE) is None  # an error node
    assert tree_plan("INSERT DATA { <urn:a> <urn:b> <urn:c> }", BASE) is None  # an update
    assert tree_plan("SELECT * FROM u:g WHERE { ?s ?p ?o }", BASE) is None  # an undeclared prefix
    # rdflib keeps a local name's escape (d\-ata), SPARQL reads d-ata: rdflib decides, as before
    assert tree_plan("PREFIX u: <urn:> SELECT * FROM u:d\\-ata WHERE { ?s ?p ?o }", BASE) is None
    # tree-sitter takes a newline in a short string; SPARQL's lexer does not: the lexers disagree
    assert tree_plan('SELECT * WHERE { ?s ?p "a\nb" }', BASE) is None
    assert tree_plan("SELECT * WHERE { ?s ?p ?o }", BASE) == QueryPlan(
        "SELECT * WHERE { ?s ?p ?o }", "SELECT", (), ()
    )


@pytest.mark.parametrize("text", SAMPLES)
def test_the_samples_are_decided_by_the_fast_tree(text: str) -> None:
    assert _verdict(tree_plan, canonical(text)) is not None


ESCAPE_PARTS = ["\\u", "\\U", "\\", "0", "4", "1", "a", "F", "g", "0041", "00000041", "110000", "x", " "]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(ESCAPE_PARTS),
        max_size=12,
    ).map("".join)
)
def test_the_escape_rule_is_rdflibs(text: str) -> None:
    """canonical() expands escapes without importing rdflib; rdflib re-expands inside parseQuery,
    so the two rules must agree on every text (values and errors)."""
    try:
        expected: str | type[Exception] = expandUnicodeEscapes(text)
    except ValueError:
        expected = ValueError
    try:
        got: str | type[Exception] = guard._expand_escapes(text)
    except ValueError:
        got = ValueError
    assert got == expected
