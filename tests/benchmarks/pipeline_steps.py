"""The steps of bench_pipeline.py that are not one klyngedata command, each run in a fresh process.

Run:  python tests/benchmarks/pipeline_steps.py yardstick PROJECT OUT
      python tests/benchmarks/pipeline_steps.py queries PROJECT
      python tests/benchmarks/pipeline_steps.py preview PROJECT [--edits N]

``yardstick``: what a bare RDF library needs for the same input and the whole-dataset outputs.
pyoxigraph parses ontology/, data/ and shapes/ (every ``*.ttl``, relative IRIs against the
configured base) and writes dataset.ttl, dataset.nt, dataset.jsonld and dataset.rdf (ontology
+ data) and dataset.nq.gz (all three parts as named graphs) into OUT. No validation, no sorting,
no pages: the floor the pipeline's own figures are compared with.

``queries``: load the built dump (site/dataset.nq.gz) into a pyoxigraph store (or, with no
build, the project's Turtle as the dump holds it: each part a named graph), then run every named
query (its portable text, example parameters bound) with ``store.query`` ``ROUNDS`` times, reading
every row; print JSON with the load time, each query's median wall and CPU time (of the thread:
the engine runs in it; on a busy machine wall time also counts waiting for a core) and its row
count.

``preview``: what an editor waits for. Start ``klyngedata serve --watch`` on the project (on
127.0.0.1, a free port) and wait until it serves a site; then ``--edits`` times: toggle a label
in a data file (bench_pipeline.edit_one_line) and ask the server for ``/catalog.ttl`` every 50 ms (more often
would take the rebuild's CPU)
until its bytes change (the catalogue holds every dump's checksum, so it changes with any edit,
and only once the new site is swapped in). Print JSON with each edit's wall seconds from the
save to the new site served, and the rebuild times the server printed.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import re
import socket
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pyoxigraph as ox

PARTS = ("ontology", "data", "shapes")
# Parameter values for the named queries that need one (the others run over everything).
PARAMS = {"designations-active-on": {"date": "2021-06-01"}}
ROUNDS = 3


def base_iri(project: Path) -> str:
    """Return the project's configured base IRI."""
    config = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    return str(config["tool"]["klyngedata"]["base_iri"])


def project_quads(project: Path) -> list[ox.Quad]:
    """Parse the project's Turtle: each part (ontology, data, shapes) a named graph, as in the dump."""
    base = base_iri(project)
    quads: list[ox.Quad] = []
    for part in PARTS:
        graph = ox.NamedNode(f"{base}graph/{part}")
        for path in sorted((project / part).rglob("*.ttl")):
            parsed = ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=base, without_named_graphs=True)
            quads += (ox.Quad(q.subject, q.predicate, q.object, graph) for q in parsed)
    return quads


def yardstick(project: Path, out: Path) -> dict[str, float | int]:
    """Parse the project's Turtle and write the five whole-dataset files; return counts and times."""
    started = time.perf_counter()
    base = base_iri(project)
    quads = project_quads(project)
    parsed_at = time.perf_counter()
    shapes = ox.NamedNode(f"{base}graph/shapes")
    triples = [q.triple for q in quads if q.graph_name != shapes]
    out.mkdir(parents=True, exist_ok=True)
    for suffix, fmt in (
        ("ttl", ox.RdfFormat.TURTLE),
        ("nt", ox.RdfFormat.N_TRIPLES),
        ("jsonld", ox.RdfFormat.JSON_LD),
        ("rdf", ox.RdfFormat.RDF_XML),
    ):
        ox.serialize(triples, output=out / f"dataset.{suffix}", format=fmt)
    nquads = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    (out / "dataset.nq.gz").write_bytes(gzip.compress(nquads, mtime=0))
    done = time.perf_counter()
    return {"triples": len(triples), "parse_s": parsed_at - started, "write_s": done - parsed_at}


def queries(project: Path) -> dict[str, object]:
    """Load the built dump and time every named query over it; return the figures."""
    from publish.sparql import bindings, named_queries, portable_text

    base = base_iri(project)
    started = time.perf_counter()
    store = ox.Store()
    dump = project / "site" / "dataset.nq.gz"
    if dump.is_file():
        store.bulk_load(gzip.decompress(dump.read_bytes()), format=ox.RdfFormat.N_QUADS)
    else:
        store.bulk_extend(project_quads(project))
    loaded = time.perf_counter() - started
    timings = {}
    for name, query in named_queries().items():
        text = portable_text(query, base=base)
        substitutions = bindings(query, PARAMS.get(name, {}), base=base)
        seconds, cpu, rows = [], [], 0
        for _ in range(ROUNDS):
            begun, begun_cpu = time.perf_counter(), time.thread_time()
            rows = sum(1 for _ in store.query(text, substitutions=substitutions))
            seconds.append(time.perf_counter() - begun)
            cpu.append(time.thread_time() - begun_cpu)
        timings[name] = {
            "seconds": statistics.median(seconds),
            "cpu_seconds": statistics.median(cpu),
            "rows": rows,
        }
    source = "dump" if dump.is_file() else "turtle"
    return {"load_s": loaded, "source": source, "quads": len(store), "queries": timings}


def preview(project: Path, edits: int) -> dict[str, object]:
    """Time edits of the project until ``serve --watch`` serves them; return the figures."""
    from bench_pipeline import edit_one_line

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-c", "from publish.cli import main; main()", "serve", "--watch"]
        + ["--project", str(project), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        before = _served(server, port, deadline=time.monotonic() + 3600)
        time.sleep(1.0)  # the watcher starts after the first build; let it settle
        seconds = []
        for _ in range(edits):
            edit_one_line(project)
            saved = time.perf_counter()
            deadline = time.monotonic() + 3600
            while (now := _served(server, port, deadline)) == before:
                time.sleep(0.05)
            seconds.append(time.perf_counter() - saved)
            before = now
            time.sleep(1.0)  # no edit while a rebuild may still be reported
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    rebuilt = [float(m) for m in re.findall(rb"Rebuilt in ([0-9.]+) s", err)]
    return {"edits": seconds, "median_s": statistics.median(seconds), "rebuilt_s": rebuilt}


def _served(server: subprocess.Popen[bytes], port: int, deadline: float) -> bytes:
    """Return the bytes of /catalog.ttl once the server answers 200 (until ``deadline``)."""
    while True:
        if server.poll() is not None:
            raise SystemExit(f"serve --watch ended with exit code {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/catalog.ttl")
            response = connection.getresponse()
            body = response.read()
            connection.close()
            if response.status == 200:
                return body
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("serve --watch served no catalogue in time")
        time.sleep(0.05)


def main() -> None:
    """Run one step and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    yard = steps.add_parser("yardstick", help="parse and serialise with pyoxigraph alone")
    yard.add_argument("project", type=Path)
    yard.add_argument("out", type=Path)
    named = steps.add_parser("queries", help="time the named queries over the built dump")
    named.add_argument("project", type=Path)
    watched = steps.add_parser("preview", help="time edits until serve --watch serves them")
    watched.add_argument("project", type=Path)
    watched.add_argument("--edits", type=int, default=5)
    options = parser.parse_args()
    if options.step == "yardstick":
        figures: dict[str, object] = dict(yardstick(options.project, options.out))
    elif options.step == "preview":
        figures = preview(options.project, options.edits)
    else:
        figures = queries(options.project)
    json.dump(figures, sys.stdout)


if __name__ == "__main__":
    main()
