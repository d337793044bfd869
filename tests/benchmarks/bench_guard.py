"""Time the query guard (on the hot path of every uncached query: tree-sitter, else rdflib).

Run:  python tests/benchmarks/bench_guard.py [--repeat 50]

For each named query and a few typical ones: characters, the guard's median time, and the
engine's median time for the same query over the built dump. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import build  # noqa: E402

from publish.config import load_config  # noqa: E402
from publish.dump import load_store  # noqa: E402
from publish.guard import check_query, check_size  # noqa: E402
from publish.sparql import graph_names, named_queries, portable_text  # noqa: E402

TYPICAL = {
    "ASK {}": "ASK {}",
    "label lookup": "SELECT ?l WHERE { <https://w3id.org/klyngedata/id/area/turisme> "
    "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }",
    "10,000-deep nesting (refused)": "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000,
}


def median_ms(action: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            action()  # type: ignore[operator]
        except Exception:  # noqa: BLE001 - a refused query is timed like any other
            pass
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    project = build()
    config = load_config(project)
    store = load_store(config.output)
    graphs = graph_names(store)
    queries = dict(TYPICAL)
    queries.update({name: portable_text(q, base=config.base_iri) for name, q in named_queries().items()})
    print("| query | characters | guard ms | engine ms |")
    print("|---|---:|---:|---:|")
    for name, text in queries.items():

        def guard(text: str = text) -> None:
            check_query(text, base=config.base_iri, allowed_graphs=graphs, max_length=65_536, max_depth=64)

        def engine(text: str = text) -> None:
            check_size(text, max_length=65_536, max_depth=64)
            list(store.query(text, base_iri=config.base_iri, use_default_graph_as_union=True))  # type: ignore[arg-type]

        guard_ms, engine_ms = median_ms(guard, args.repeat), median_ms(engine, args.repeat)
        print(f"| {name} | {len(text):,} | {guard_ms:.2f} | {engine_ms:.2f} |")


if __name__ == "__main__":
    main()
