"""Time each SPARQL-based constraint of the shapes per focus node, at one or more scales (issue 11).

Run:  python tests/benchmarks/bench_sparql_constraints.py PROJECT [PROJECT …] [--plain]

Each PROJECT is a klyngedata project folder (the real one, or one scale.py wrote). The data is
validated as ``klyngedata validate`` does (publish.shacl.run_shacl, SHACL-for-SHACL off), and
every evaluation of a SPARQL-based constraint (pySHACL's SPARQLBasedConstraint) is timed: the
table gives, per constraint and project, the focus nodes it ran on and the milliseconds per
focus node. A constraint whose time per focus node grows with the data is late-bound
(quadratic overall). ``--plain`` turns off publish.shacl's prepared-query cache, so the time
includes rdflib parsing the query text again for each focus node. Asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyshacl.constraints.sparql.sparql_based_constraints import SPARQLBasedConstraint
from rdflib import URIRef

from publish import shacl
from publish.config import load_config
from publish.dataset import load

Timings = dict[str, list[float]]  # constraint label -> [focus nodes, seconds]


@contextmanager
def timed(timings: Timings, prefixes: dict[str, str]) -> Iterator[None]:
    """Time SPARQLBasedConstraint._evaluate_sparql_constraint while inside, per constraint."""
    original: Callable[..., Any] = SPARQLBasedConstraint._evaluate_sparql_constraint

    def wrapper(self: Any, constraint: Any, target_graph: Any, f_v_dict: dict[Any, Any]) -> Any:
        started = time.perf_counter()
        answer = original(self, constraint, target_graph, f_v_dict)
        label = _label(self.shape, constraint, prefixes)
        timings.setdefault(label, [0.0, 0.0])
        timings[label][0] += len(f_v_dict)
        timings[label][1] += time.perf_counter() - started
        return answer

    SPARQLBasedConstraint._evaluate_sparql_constraint = wrapper  # type: ignore[method-assign]
    try:
        yield
    finally:
        SPARQLBasedConstraint._evaluate_sparql_constraint = original  # type: ignore[method-assign]


def _label(shape: Any, constraint: Any, prefixes: dict[str, str]) -> str:
    """Name a constraint: its IRI (else its shape's), and the shape's path."""
    node = constraint.node if isinstance(constraint.node, URIRef) else shape.node
    path = shape.path()
    named = _short(node, prefixes)
    return f"{named} on {_short(path, prefixes)}" if path is not None else named


def _short(term: object, prefixes: dict[str, str]) -> str:
    text = str(term)
    for name, namespace in sorted(prefixes.items(), key=lambda item: -len(item[1])):
        if text.startswith(namespace):
            return f"{name}:{text[len(namespace) :]}"
    return text if isinstance(term, URIRef) else "[blank path]"


def measure(project: Path, *, prepared: bool) -> tuple[int, Timings]:
    """Validate one project's data; the triple count and the timings of its SPARQL constraints."""
    config = load_config(project)
    dataset = load(config)
    data = shacl.to_rdflib(dataset.quads("ontology", "data"))
    shapes = shacl.to_rdflib(dataset.quads("shapes"))
    timings: Timings = {}
    with timed(timings, dataset.uris.prefixes()):
        shacl.run_shacl(data, shapes, check_shapes=False, prepared=prepared)
    return len(data), timings


def main() -> None:
    """Measure every project and print one Markdown table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("projects", nargs="+", type=Path)
    parser.add_argument("--plain", action="store_true", help="no prepared-query cache (pySHACL as shipped)")
    options = parser.parse_args()
    columns: list[str] = []
    rows: dict[str, dict[str, str]] = defaultdict(dict)
    for project in options.projects:
        triples, timings = measure(project, prepared=not options.plain)
        column = f"{project.name}: {triples:,} triples"
        columns.append(column)
        for label, (nodes, seconds) in sorted(timings.items()):
            per = seconds / nodes * 1000 if nodes else 0.0
            rows[label][column] = f"{per:.2f} ms × {nodes:.0f}"
    print("| constraint | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells.get(c, "–") for c in columns) + " |")


if __name__ == "__main__":
    main()
