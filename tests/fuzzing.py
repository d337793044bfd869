"""What the fuzzers put together: seed queries and pieces to mutate them with.

Shared by the bounded fuzz test (tests/test_fuzz.py) and the longer run against a real socket
(tests/benchmarks/fuzz_server.py), so both try the same hostile material.
"""

from __future__ import annotations

SEEDS = [
    "ASK {}",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
    "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/klyngedata/graph/data> WHERE { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s a ?t } LIMIT 5",
    "DESCRIBE <https://w3id.org/klyngedata/id/area/turisme>",
    'SELECT ?x WHERE { BIND(CONCAT("a", "\\u001B") AS ?x) }',
    "PREFIX kd: <https://w3id.org/klyngedata/ontology#> SELECT ?a WHERE { ?a a kd:Stronghold } ORDER BY ?a",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { # c\r SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
]
PIECES = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    '"',
    "'",
    "#",
    "\r",
    "\n",
    "\\u0053",
    "\\",
    "SERVICE ",
    "FROM ",
    "?x",
    "LOAD ",
    "\x00",
    "\u202e",
    "é",
    ":",
    ".",
    ";",
    ",",
    "*",
    "@",
    "^^",
    "FILTER",
    "OPTIONAL",
    "}}}}",
    "FROM <file:///etc/passwd> ",
    "{" * 100,
    "FILTER(",
    "%",
]
