"""Size and cost of the search files (issue 13): the index per language and the A–Z pages.

Run:  python tests/benchmarks/bench_search.py [PROJECT ...]   (default: the real project)

For each project it prints the number of described resources, each index's size (bytes, and
gzipped as a static host may send it), and the CPU seconds of making every search file
(publish.search.search_artifacts), with the CPU seconds of indexing the graph once
(publish.view.Graph, which every page build does anyway) as the yardstick in the same process.
A generated project of ~10k resources: ``python tests/benchmarks/scale.py --triples 100000 --out DIR``.
"""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

from publish.config import load_config
from publish.dataset import load
from publish.search import search_artifacts
from publish.view import Graph

ROOT = Path(__file__).resolve().parents[2]


def measure(project: Path) -> None:
    """Print the figures of one project."""
    config = load_config(project)
    dataset = load(config)
    start = time.process_time()
    graph = Graph(dataset.triples("ontology", "data"), config.uris, config.messages)
    yardstick = time.process_time() - start
    start = time.process_time()
    artifacts = search_artifacts(dataset, config)
    cost = time.process_time() - start
    print(f"{project}: {len(graph.resources):,} described resources")
    for artifact in artifacts:
        packed = len(gzip.compress(artifact.body, mtime=0))
        print(f"  {artifact.path}: {len(artifact.body):,} bytes, {packed:,} gzipped")
    print(f"  search files: {cost:.2f} s CPU; yardstick (index the graph once): {yardstick:.2f} s CPU")
    print(f"  ratio: {cost / yardstick:.1f}x the yardstick")


def main() -> None:
    """Measure every project named on the command line (default: the real one)."""
    for name in sys.argv[1:] or [str(ROOT)]:
        measure(Path(name))


if __name__ == "__main__":
    main()
