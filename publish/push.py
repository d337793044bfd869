"""Push the built dataset into a SPARQL 1.1 store: one Graph Store PUT per named graph, then check.

Every named graph of ``dataset.nq.gz`` is sent with the SPARQL 1.1 Graph Store HTTP Protocol as
``PUT <store>?graph=<iri>``, which replaces that graph's previous content (nothing is appended,
other graphs of the store are left alone). Afterwards each graph's triples are counted through
the store's SPARQL query endpoint and compared with what was sent.

Only the standard library speaks HTTP here (``urllib``): a redirect is followed only to the same
scheme, host and port, and only when it keeps the method and body (307/308); credentials are
offered only to the two URLs given.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import urlencode, urlsplit, urlunsplit

import pyoxigraph as ox

from . import dump, formats
from .errors import PushError, UsageError

# N-Triples is a subset of Turtle, and text/turtle is the one syntax every Graph Store accepts.
CONTENT_TYPE = formats.TURTLE.content_type
RESULTS_JSON = formats.RESULTS_JSON.media_type
_EXCERPT = 300
_FUSEKI = re.compile(r"^/([^/]+)/(?:sparql|query)/?$")
_RDF4J = re.compile(r"^(/(?:[^/]+/)*repositories/[^/]+)/?$")


@dataclass(frozen=True, slots=True)
class Target:
    """Where to push: the SPARQL query endpoint, the Graph Store endpoint, credentials, timeout."""

    endpoint: str
    store: str
    user: str | None = None
    password: str | None = None
    timeout: float = 60.0


def target(
    endpoint: str,
    *,
    store: str | None = None,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 60.0,
) -> Target:
    """Check the URLs and return a Target; derive the Graph Store URL when ``store`` is not given."""
    _check_url(endpoint, "endpoint")
    if store is None:
        store = derive_store(endpoint)
    else:
        _check_url(store, "store")
    if password is not None and user is None:
        raise UsageError("a password was given without a user; set KLYNGEDATA_PUSH_USER too")
    if not timeout > 0:
        raise UsageError(f"the timeout must be more than 0 seconds, got {timeout}", parameter="timeout")
    return Target(endpoint, store, user, password, timeout)


def derive_store(endpoint: str) -> str:
    """Return the Graph Store URL that goes with a query endpoint, by the servers' conventions.

    Oxigraph ``/query`` → ``/store``; Fuseki ``/<dataset>/sparql`` or ``/<dataset>/query`` →
    ``/<dataset>/data``; GraphDB and RDF4J ``/repositories/<id>`` →
    ``/repositories/<id>/rdf-graphs/service``. Anything else needs ``--store``.
    """
    parts = urlsplit(endpoint)
    path = parts.path
    if path.rstrip("/") == "/query":
        path = "/store"
    elif match := _FUSEKI.match(path):
        path = f"/{match.group(1)}/data"
    elif match := _RDF4J.match(path):
        path = f"{match.group(1)}/rdf-graphs/service"
    else:
        raise UsageError(
            f"cannot tell the Graph Store endpoint that goes with {endpoint}; give its URL "
            "(Oxigraph: /store, Fuseki: /<dataset>/data, GraphDB: /repositories/<id>/rdf-graphs/service, "
            "Virtuoso: /sparql-graph-crud-auth)",
            parameter="store",
        )
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


_ROLES = {"endpoint": "the SPARQL endpoint", "store": "the Graph Store endpoint"}


def _check_url(url: str, parameter: str) -> None:
    role = _ROLES[parameter]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise UsageError(f"{role} {url!r} is not a valid URL ({exc})", parameter=parameter) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{role} {url!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:7878/query",
            parameter=parameter,
        )
    if parts.fragment:
        raise UsageError(
            f"{role} {url!r} has a #fragment; give the endpoint's URL without it", parameter=parameter
        )


# ---------------------------------------------------------------- what push reports


@dataclass(frozen=True, slots=True)
class Sent:
    """One graph sent: its IRI, the triples in the body, the store's HTTP status."""

    graph: str
    triples: int
    status: int

    def line(self) -> str:
        """Return the line that tells the user."""
        return f"sent      <{self.graph}>  {self.triples:,} triples  (HTTP {self.status})"


@dataclass(frozen=True, slots=True)
class Verified:
    """One graph counted in the store after every PUT: as many triples as were sent."""

    graph: str
    triples: int

    def line(self) -> str:
        """Return the line that tells the user."""
        return f"verified  <{self.graph}>  {self.triples:,} triples in the store"


@dataclass(frozen=True, slots=True)
class Pushed:
    """The end: how many graphs and triples went where."""

    graphs: int
    triples: int
    store: str

    def line(self) -> str:
        """Return the line that tells the user."""
        return (
            f"Pushed {self.graphs} graphs ({self.triples:,} triples) to {self.store}; every count verified."
        )


# ---------------------------------------------------------------- pushing


def push(site: Path, where: Target) -> Iterator[Sent | Verified | Pushed]:
    """Replace each named graph of the site's dump in the store, then verify the counts.

    Yields a step as each request completes; raises PushError naming the graph, the URL and
    the store's answer when a request fails or a count differs.
    """
    bodies = graph_bodies(read_dump(site))
    opener = _opener(where)
    for graph, (body, count) in bodies.items():
        url = graph_url(where.store, graph)
        request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": CONTENT_TYPE})
        status, _ = _send(opener, request, where.timeout, f"PUT of graph <{graph}>")
        yield Sent(graph, count, status)
    for graph, (_, count) in bodies.items():
        found = count_triples(opener, where, graph)
        if found != count:
            raise PushError(
                f"graph <{graph}>: sent {count:,} triples to {graph_url(where.store, graph)}, but "
                f"{where.endpoint} counts {found:,}; the store does not hold what was sent "
                "(do the SPARQL endpoint and the Graph Store endpoint belong to the same store?)"
            )
        yield Verified(graph, count)
    yield Pushed(len(bodies), sum(count for _, count in bodies.values()), where.store)


def read_dump(site: Path) -> list[ox.Quad]:
    """Return the quads of the site's ``dataset.nq.gz`` exactly as written.

    Parsed, not loaded into a store: a store would rewrite ``xsd:positiveInteger`` and other
    derived integer types as ``xsd:integer``, and push must send what the build published.
    """
    where = dump.path_in(site)
    try:
        data = dump.read_bytes(site)
        return list(dict.fromkeys(ox.parse(data, format=ox.RdfFormat.N_QUADS)))
    except FileNotFoundError:
        raise PushError(f"{where}: no built dataset here; run `klyngedata build` first") from None
    except (OSError, EOFError, SyntaxError) as exc:
        raise PushError(f"{where}: cannot read the dump ({exc}); run `klyngedata build` again") from None


def graph_bodies(quads: Iterable[ox.Quad]) -> dict[str, tuple[bytes, int]]:
    """Return each named graph's triples as sorted N-Triples and their number, by graph IRI.

    Refuses a dump with triples outside a named graph (a PUT to ``?default`` would replace the
    store's own default graph) or with a blank node shared by two graphs (separate PUTs would
    split it in two).
    """
    by_graph: dict[str, list[ox.Triple]] = defaultdict(list)
    owner: dict[str, str] = {}
    for quad in quads:
        graph = quad.graph_name
        if not isinstance(graph, ox.NamedNode):
            raise PushError(
                "the dump has triples outside a named graph; rebuild the site with `klyngedata build`"
            )
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode) and owner.setdefault(term.value, graph.value) != graph.value:
                raise PushError(
                    f"blank node _:{term.value} occurs in <{owner[term.value]}> and <{graph.value}>; "
                    "pushing the graphs one by one would split it"
                )
        by_graph[graph.value].append(quad.triple)
    bodies: dict[str, tuple[bytes, int]] = {}
    for iri, triples in sorted(by_graph.items()):
        lines = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").splitlines(keepends=True)
        bodies[iri] = (b"".join(sorted(lines)), len(triples))
    return bodies


def graph_url(store: str, graph: str) -> str:
    """Return the Graph Store URL of one graph (indirect identification, ``?graph=``)."""
    joiner = "&" if urlsplit(store).query else "?"
    return store + joiner + urlencode({"graph": graph})


def count_triples(opener: urllib.request.OpenerDirector, where: Target, graph: str) -> int:
    """Count the triples of one graph with a SPARQL query (POST, form-encoded, JSON results)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    request = urllib.request.Request(
        where.endpoint,
        data=urlencode({"query": query}).encode("ascii"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": RESULTS_JSON},
    )
    _, body = _send(opener, request, where.timeout, f"count of graph <{graph}>")
    try:
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise PushError(
            f"count of graph <{graph}>: {where.endpoint} did not answer with SPARQL JSON results: "
            f"{_excerpt(body)}"
        ) from None


def _send(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float, what: str
) -> tuple[int, bytes]:
    url = request.full_url
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp is not None else b""
        raise PushError(
            f"{what} failed: {request.get_method()} {url} answered HTTP {exc.code} {exc.reason}: "
            + _excerpt(body)
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) else exc.reason
        raise PushError(f"{what} failed: cannot reach {url} ({reason or exc.reason})") from None
    except TimeoutError:
        raise PushError(
            f"{what} failed: {url} did not answer within {timeout:g} s; allow more time", parameter="timeout"
        ) from None
    except OSError as exc:
        raise PushError(f"{what} failed: {url}: {exc.strerror or exc}") from None


def _excerpt(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    if not text:
        return "(empty body)"
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"


# ---------------------------------------------------------------- the HTTP client


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return (
        parts.scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(parts.scheme),
    )


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the same origin, and only one that keeps the method and body."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        """Return the request to send to ``newurl``, or raise PushError if it must not be followed."""
        if _origin(newurl) != _origin(req.full_url):
            raise PushError(
                f"{req.get_method()} {req.full_url} was redirected (HTTP {code}) to another host, "
                f"{newurl}; not followed. Give the store's own URL instead."
            )
        if code not in (307, 308):
            raise PushError(
                f"{req.get_method()} {req.full_url} was redirected (HTTP {code}) to {newurl}, which would "
                "drop the request's body; give that URL instead."
            )
        return urllib.request.Request(
            newurl, data=req.data, headers=dict(req.headers), method=req.get_method()
        )


def _opener(where: Target) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_SameOriginRedirects()]
    if where.user is not None:
        # Offered only to the two URLs given (and below them), in answer to a challenge.
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, [where.endpoint, where.store], where.user, where.password or "")
        handlers += [
            urllib.request.HTTPBasicAuthHandler(passwords),
            urllib.request.HTTPDigestAuthHandler(passwords),
        ]
    return urllib.request.build_opener(*handlers)
