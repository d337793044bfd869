"""The web server: the built site with content negotiation, and a SPARQL 1.1 Protocol endpoint.

``create_app(config, site)`` returns a Starlette (ASGI) app; uvicorn serves it. Every
resource IRI answers 200 directly in the negotiated format with ``Content-Location`` naming
the document (no 303 round trip). The endpoint is read-only, closed (no SERVICE, no FROM
outside the dataset), and bounded in time and rows by worker processes.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .answerformats import Choice, choose
from .asof import release_for
from .config import Config
from .errors import QueryError
from .formats import (
    GRAPH,
    RESULTS,
    Format,
    answer_format,
    by_name,
    choose_language,
    media_type_of,
    negotiate,
    resource_formats,
)
from .lane import Engines, engines_for
from .preview import Banner, Live
from .serving import RequestLimits
from .uris import is_immutable
from .workers import Answer, Job, NotAcceptableError, QueryTimeoutError

_CORS = {"Access-Control-Allow-Origin": "*"}
# What documents and pages are negotiated on, and SPARQL answers (their format words are in the URL).
_PAGE_VARY = "Accept, Accept-Language"
_SPARQL_VARY = "Accept"
_GZIP_MINIMUM = 512
# Release copies and change-stream pages never change once published (publish.uris.is_immutable).
_IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class SiteFile:
    """A file of the built site held in memory with its validators."""

    body: bytes
    media_type: str
    etag: str
    last_modified: float


class Site:
    """Read-only access to the built site folder, cached in memory, never outside it.

    The cache holds at most ``budget`` bytes (``page_cache_bytes``), least recently used out
    first; a miss costs its path's length, so unknown paths cannot grow it past the budget.
    """

    _OVERHEAD = 128  # bytes of bookkeeping counted for every entry

    def __init__(self, root: Path, *, budget: int = 64 << 20) -> None:
        self.root = root.resolve()
        self.budget = budget
        self.cached_bytes = 0
        self._cache: OrderedDict[str, SiteFile | None] = OrderedDict()

    def get(self, relative: str) -> SiteFile | None:
        """Return the file at a site path, or None (also for anything outside the site)."""
        if relative in self._cache:
            self._cache.move_to_end(relative)
            return self._cache[relative]
        found = self._read(relative)
        cost = self._cost(relative, found)
        if cost <= self.budget // 8:  # one entry never takes more than an eighth
            self._cache[relative] = found
            self.cached_bytes += cost
            while self.cached_bytes > self.budget:
                old_path, old = self._cache.popitem(last=False)
                self.cached_bytes -= self._cost(old_path, old)
        return found

    def clear(self) -> None:
        """Forget every cached file (a new site was swapped in: ``serve --watch``)."""
        self._cache.clear()
        self.cached_bytes = 0

    def _cost(self, relative: str, found: SiteFile | None) -> int:
        return len(relative) + self._OVERHEAD + (len(found.body) if found is not None else 0)

    def _read(self, relative: str) -> SiteFile | None:
        parts = relative.split("/")
        if not relative or "\x00" in relative or any(p in ("", ".", "..") for p in parts):
            return None
        path = self.root.joinpath(*parts)
        try:
            if not path.resolve().is_relative_to(self.root) or not path.is_file():
                return None
            body = path.read_bytes()
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            return None
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        return SiteFile(body, media_type_of(relative), etag, mtime)


class AnswerCache:
    """Answers to repeated queries: the site cannot change while it is served, so they stay true.

    Bounded by entry count (``query_cache``; 0 turns it off) and by bytes of query text and
    answer together (``query_cache_bytes``), least recently used out first.
    """

    largest = 1 << 20
    _OVERHEAD = 256  # bytes of bookkeeping counted for every entry

    def __init__(self, entries: int, *, budget: int = 32 << 20) -> None:
        self._entries = entries
        self.budget = budget
        self.cached_bytes = 0
        self._answers: OrderedDict[Job, Answer] = OrderedDict()
        # A cached answer as sent to a GET spelled exactly so (one spelling per answer): the
        # next GET spelled the same is answered without parsing or negotiating it again.
        self._ready: dict[Spelling, tuple[Job, Ready]] = {}
        self._spelling: dict[Job, Spelling] = {}
        self.generation = 0  # counts the clears: an answer asked for before one is not kept

    def get(self, job: Job) -> Answer | None:
        """Return the cached answer to an identical request, if any."""
        answer = self._answers.get(job)
        if answer is not None:
            self._answers.move_to_end(job)
        return answer

    def ready(self, spelling: Spelling) -> Ready | None:
        """Return the headers and body of the 200 sent before to a GET spelled exactly so."""
        found = self._ready.get(spelling)
        if found is None:
            return None
        self._answers.move_to_end(found[0])
        return found[1]

    def keep_ready(self, spelling: Spelling, job: Job, ready: Ready) -> None:
        """Remember how the cached answer to ``job`` was sent for this spelling of the request."""
        if job not in self._answers or job in self._spelling or spelling in self._ready:
            return
        self._ready[spelling] = job, ready
        self._spelling[job] = spelling
        self.cached_bytes += _ready_cost(spelling, ready)
        self._shrink()

    def clear(self) -> None:
        """Forget every answer (a new site was swapped in: ``serve --watch``)."""
        self._answers.clear()
        self._ready.clear()
        self._spelling.clear()
        self.cached_bytes = 0
        self.generation += 1

    def put(self, job: Job, answer: Answer, *, generation: int | None = None) -> None:
        """Remember an answer, dropping the least recently used beyond the bounds; not one
        asked for before the last :meth:`clear` (``generation``: :attr:`generation` then):
        it may come from the site served before."""
        cost = self._cost(job, answer)
        if (
            (generation is not None and generation != self.generation)
            or self._entries <= 0
            or len(answer.body) > self.largest
            or cost > self.budget // 8
            or job in self._answers
        ):
            return
        self._answers[job] = answer
        self.cached_bytes += cost
        self._shrink()

    def _shrink(self) -> None:
        """Drop the least recently used answers (and how they were sent) beyond the bounds."""
        while len(self._answers) > self._entries or self.cached_bytes > self.budget:
            old_job, old = self._answers.popitem(last=False)
            self.cached_bytes -= self._cost(old_job, old)
            spelling = self._spelling.pop(old_job, None)
            if spelling is not None:
                self.cached_bytes -= _ready_cost(spelling, self._ready.pop(spelling)[1])

    def _cost(self, job: Job, answer: Answer) -> int:
        return len(job.text) * 4 + len(answer.body) + self._OVERHEAD  # str: up to 4 bytes a character


# A GET of the endpoint as its bytes spell it: the query string, the Accept header, and whether
# it accepts gzip (all that decides the answer, status and headers included).
Spelling = tuple[bytes, bytes, bool]
Ready = tuple[list[tuple[bytes, bytes]], bytes]  # an answer's headers and body, as sent


def _ready_cost(spelling: Spelling, ready: Ready) -> int:
    headers, _ = ready  # the body is the cached answer's own bytes, counted with it
    return len(spelling[0]) + len(spelling[1]) + sum(len(k) + len(v) for k, v in headers) + 128


def _spelling(scope: Scope) -> Spelling | None:
    """Return how a GET of the endpoint is spelled, or None for any other request."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/sparql":
        return None
    accept = coding = b""
    for name, value in scope["headers"]:  # names come lower-cased; the last of a name counts
        if name == b"accept":
            accept = value
        elif name == b"accept-encoding":
            coding = value
    return scope["query_string"], accept, b"gzip" in coding


_JOB = "klyngedata.job"  # the scope key carrying a parsed SPARQL GET to CachedAnswers._respond


class CachedAnswers:
    """Answer a SPARQL GET of one query before routing: from the cache, else from the workers.

    The hot path of a busy endpoint: a repeated answer is written out as it is (unless it would
    be gzipped); a new one goes straight to the pool and its answer (or refusal) through the
    same GZip middleware and Response as the routed path, without Starlette's routing and
    request parsing a second time. Everything else goes on to the app unchanged.
    """

    def __init__(self, app: ASGIApp, *, cache: AnswerCache, config: Config, engines: list[Engines]) -> None:
        self.app = app
        self.cache = cache
        self.config = config
        self.engines = engines  # the engines in service are engines[0]
        self.coded = GZipMiddleware(self._respond, minimum_size=_GZIP_MINIMUM)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        spelling = _spelling(scope)
        ready = None if spelling is None else self.cache.ready(spelling)
        if ready is not None:  # a repeated GET, byte for byte: its answer as sent before
            await send({"type": "http.response.start", "status": 200, "headers": ready[0]})
            await send({"type": "http.response.body", "body": ready[1]})
            return
        found = self._request(scope) if spelling is not None else None
        if found is None:
            await self.app(scope, receive, send)
            return
        job, timeout, choice, coding = found
        answer = self.cache.get(job)
        if answer is not None and not (len(answer.body) >= _GZIP_MINIMUM and "gzip" in coding):
            body, headers = self._raw(answer, job)
            assert spelling is not None
            self.cache.keep_ready(spelling, job, (headers, body))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        scope[_JOB] = job, timeout, choice
        await self.coded(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        job, timeout, choice = scope[_JOB]
        response = await _answer(job, timeout, choice, self.engines, self.cache, self.config)
        await response(scope, receive, send)

    def _request(self, scope: Scope) -> tuple[Job, float, Choice, str] | None:
        """Return (job, time limit, formats, Accept-Encoding) of a GET of the endpoint with one valid
        query, else None."""
        if not scope["query_string"]:
            return None
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
            params.setdefault(key, []).append(value)
        if len(params.get("query", [])) != 1 or "update" in params:
            return None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            job, timeout, choice = _job(params, headers.get("accept"), self.config)
        except QueryError:
            return None  # the routed path says why
        return job, timeout, choice, headers.get("accept-encoding", "")

    def _raw(self, answer: Answer, job: Job) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """Return the body and headers Response and GZipMiddleware write for a cached answer."""
        media_type = answer.media_type
        if media_type.startswith("text/") and "charset=" not in media_type:
            media_type += "; charset=utf-8"  # as Starlette's Response writes it on the first answer
        pairs = {"content-type": media_type, "content-length": str(len(answer.body))}
        pairs.update({k.lower(): v for k, v in _answer_headers(answer, job).items()})
        if len(answer.body) >= _GZIP_MINIMUM:  # as GZipMiddleware marks every answer it could code
            pairs["vary"] += ", Accept-Encoding"
        return answer.body, [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs.items()]


def create_app(
    config: Config, site: Path, *, workers: int | None = None, live: Live | None = None
) -> Starlette:
    """Build the ASGI app serving ``site`` for ``config``.

    With ``live`` (``serve --watch``), the app shows its problem as a banner on every page and
    serves each new site swapped in at ``site`` (see :mod:`publish.preview`).
    """
    files = Site(site, budget=config.page_cache_bytes)

    def new_engines() -> Engines:
        return engines_for(config, site, workers=workers)

    engines = [new_engines()]  # the ones in service; replaced when a new site is swapped in
    cache = AnswerCache(config.query_cache, budget=config.query_cache_bytes)

    starting: set[asyncio.Task[None]] = set()

    async def renew() -> None:
        """Serve the site now at ``site``: its files at once, no file or answer of the old one; its
        queries from a new lane and new workers on its dump (a query waits for the workers to load
        it, outside its time limit), while the old ones answer the queries asked before, then stop."""
        fresh = new_engines()
        old, engines[0] = engines[0], fresh
        files.clear()
        cache.clear()
        task = asyncio.get_running_loop().create_task(fresh.start())
        starting.add(task)
        task.add_done_callback(starting.discard)
        old.retire()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await engines[0].start()
        if live is not None:
            live.loop, live.renew = asyncio.get_running_loop(), renew
        try:
            yield
        finally:
            if live is not None:
                live.loop = None
            await engines[0].close()

    async def sparql(request: Request) -> Response:
        return await _sparql(request, engines, cache, config, files)

    async def page(request: Request) -> Response:
        return _page(request, files, config)

    routes = [
        Route("/sparql", sparql, methods=["GET", "POST", "OPTIONS"]),
        Route("/{path:path}", page, methods=["GET", "HEAD"]),
    ]
    middleware = [
        Middleware(RequestLimits, max_body=config.max_request_body, max_url=config.max_url_length),
        Middleware(CachedAnswers, cache=cache, config=config, engines=engines),
        Middleware(GZipMiddleware, minimum_size=_GZIP_MINIMUM),
        *([Middleware(Banner, live=live)] if live is not None else []),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.engines = engines  # where queries run (engines[0]); tests read it
    return app


# ---------------------------------------------------------------- pages and documents


def _page(request: Request, files: Site, config: Config) -> Response:
    path = request.url.path.lstrip("/")
    direct = files.get(path) if path else None
    if direct is not None:
        return _file(request, direct, path, vary=False)
    uris = config.uris
    folder = path.endswith("/") or not path
    stem = PurePosixPath((path.rstrip("/") + "/index").lstrip("/") if folder else path)
    if not stem.name:  # '/.': no document has an empty name
        return _not_found(request, files, config)
    offered = [f for f in resource_formats() if files.get(str(uris.document_path(stem, f)))]
    status = 200
    if not offered:
        # A thing no longer published answers 410 Gone, in every format, with its last description.
        gone = files.get(str(uris.gone_stem(path))) if "." in stem.name else None
        if gone is not None:
            return _gone(gone)
        stem = uris.gone_stem(stem)
        offered = [f for f in resource_formats() if files.get(str(uris.document_path(stem, f)))]
        status = 410
    if not offered:
        return _not_found(request, files, config)
    wanted = request.query_params.get("format")
    if wanted is not None:
        # A '+' typed into a URL arrives as a space (rdf+xml).
        chosen = by_name(wanted.replace(" ", "+"), offered)
        if chosen is None:
            message = f"format={wanted!r} is not offered here; use one of: {_offered(offered)}"
            return _text(400, message, vary=_PAGE_VARY)
    else:
        media_type = negotiate(request.headers.get("accept"), [f.media_type for f in offered])
        if media_type is None:
            listed = ", ".join(f.media_type for f in offered)
            return _text(406, f"Not acceptable. This resource is available as: {listed}", vary=_PAGE_VARY)
        chosen = next(f for f in offered if f.media_type == media_type)
    language = choose_language(request.headers.get("accept-language"), config.languages)
    document = str(uris.document_path(stem, chosen, language))
    found = files.get(document) or files.get(str(uris.document_path(stem, chosen)))
    assert found is not None
    if status == 410:
        return _gone(found, location="/" + document)
    response = _file(request, found, document, vary=True)
    response.headers["Content-Location"] = "/" + document
    return response


def _offered(offered: list[Format]) -> str:
    return ", ".join(f.suffix for f in offered)


def _file(request: Request, found: SiteFile, path: str, *, vary: bool) -> Response:
    coded = _gzipped(request, found)
    headers = {
        "ETag": _coded_etag(found.etag) if coded else found.etag,
        "Last-Modified": formatdate(found.last_modified, usegmt=True),
        "Cache-Control": _IMMUTABLE if is_immutable(path) else "public, max-age=300",
        **_CORS,
    }
    if vary:
        headers["Vary"] = _PAGE_VARY
    matched = _not_modified(request, found)
    if matched:
        # A 304 names the tag the client holds, so a cache freshens the copy it validated.
        return Response(status_code=304, headers={**headers, "ETag": matched})
    return Response(found.body, media_type=found.media_type, headers=headers)


def _gone(found: SiteFile, *, location: str = "") -> Response:
    """Answer 410 Gone with the last description of a thing no longer published (never 304)."""
    headers = {**_CORS, "Cache-Control": "public, max-age=300"}
    if location:
        headers.update({"Vary": _PAGE_VARY, "Content-Location": location})
    return Response(found.body, status_code=410, media_type=found.media_type, headers=headers)


def _coded_etag(etag: str) -> str:
    """Return the ETag of the gzip-coded form of a document: a coding is another representation.

    RFC 9110 §8.8.3: a strong ETag names exactly one sequence of bytes, so the gzip answer
    gets its own tag (``"…-gzip"``, as Apache's mod_deflate writes it).
    """
    return etag[:-1] + '-gzip"'


def _gzipped(request: Request, found: SiteFile) -> bool:
    """Tell whether GZipMiddleware will code this file's answer to this request."""
    media_type = found.media_type.partition(";")[0].strip().lower()
    excluded = media_type in DEFAULT_EXCLUDED_CONTENT_TYPES or (
        media_type.partition("/")[0] + "/*" in DEFAULT_EXCLUDED_CONTENT_TYPES
    )
    accepted = "gzip" in request.headers.get("accept-encoding", "")
    return accepted and len(found.body) >= _GZIP_MINIMUM and not excluded


def _not_modified(request: Request, found: SiteFile) -> str:
    """Return the ETag that a conditional request matched ('' when it must get the document)."""
    tags = request.headers.get("if-none-match")
    if tags is not None:
        held = [t.strip().removeprefix("W/") for t in tags.split(",")]
        ours = _coded_etag(found.etag) if _gzipped(request, found) else found.etag
        if tags.strip() == "*":
            return ours
        return next((t for t in (ours, found.etag, _coded_etag(found.etag)) if t in held), "")
    since = request.headers.get("if-modified-since")
    if since:
        try:
            unchanged = int(found.last_modified) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return ""
        if unchanged:
            return _coded_etag(found.etag) if _gzipped(request, found) else found.etag
    return ""


def _not_found(request: Request, files: Site, config: Config) -> Response:
    # The 404 page in the reader's language (Accept-Language), as pages are chosen.
    language = choose_language(request.headers.get("accept-language"), config.languages)
    page = files.get(str(config.uris.page_path("404", language))) or files.get("404.html")
    headers = {**_CORS, "Vary": _PAGE_VARY}  # had a document been there, Accept would have chosen it
    if page is not None:
        return Response(page.body, status_code=404, media_type=page.media_type, headers=headers)
    return _text(404, "Not found.", vary=_PAGE_VARY)


def _text(status: int, message: str, *, vary: str = "") -> Response:
    headers = {**_CORS, "Vary": vary} if vary else _CORS
    return Response(
        message + "\n", status_code=status, media_type="text/plain; charset=utf-8", headers=headers
    )


# ---------------------------------------------------------------- the SPARQL endpoint


async def _sparql(
    request: Request, engines: list[Engines], cache: AnswerCache, config: Config, files: Site
) -> Response:
    if request.method == "OPTIONS":
        return Response(
            status_code=204,
            headers={
                **_CORS,
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, Accept",
                "Access-Control-Max-Age": "86400",
            },
        )
    try:
        params = await _protocol_params(request)
    except QueryError as exc:
        return _text(400, exc.message, vary=_SPARQL_VARY)
    if "update" in params:
        return _text(400, "SPARQL Update is not allowed: this endpoint is read-only", vary=_SPARQL_VARY)
    queries = params.get("query", [])
    if not queries:
        return _service_description(request, files)
    if len(queries) > 1:
        return _text(400, "give exactly one query parameter", vary=_SPARQL_VARY)
    try:
        job, timeout, choice = _job(params, request.headers.get("accept"), config)
    except QueryError as exc:
        return _text(400, exc.message, vary=_SPARQL_VARY)
    return await _answer(job, timeout, choice, engines, cache, config)


async def _answer(
    job: Job, timeout: float, choice: Choice, engines: list[Engines], cache: AnswerCache, config: Config
) -> Response:
    """Answer a job from the cache or the engines in service (``engines[0]``: the server's own query
    thread when it proves the query cheap, else the workers); a refusal: text and status."""
    answer = cache.get(job)
    try:
        if answer is None:
            generation = cache.generation
            answer = await engines[0].run(job, timeout=timeout)
            cache.put(job, answer, generation=generation)
    except QueryTimeoutError as exc:
        return _text(503, exc.message, vary=_SPARQL_VARY)
    except NotAcceptableError as exc:
        return _text(406, choice.refusal(exc.form), vary=_SPARQL_VARY)
    except QueryError as exc:
        return _text(400, exc.message, vary=_SPARQL_VARY)
    return Response(answer.body, media_type=answer.media_type, headers=_answer_headers(answer, job))


def _answer_headers(answer: Answer, job: Job) -> dict[str, str]:
    headers = {**_CORS, "Vary": _SPARQL_VARY, "Content-Disposition": _disposition(answer, job)}
    if answer.truncated:
        headers["X-Result-Truncated"] = f"true; max-rows={job.max_rows}"
        headers["Warning"] = f'199 klyngedata "result truncated at {job.max_rows} rows"'
    return headers


def _disposition(answer: Answer, job: Job) -> str:
    """Name the answer as a file (``answer.csv``): a browser that does not show its type saves it so.

    Without it Chromium saves a query page's SPARQL XML answer as ``sparql``, with no suffix.
    """
    graph = answer.form in ("CONSTRUCT", "DESCRIBE")
    fmt = answer_format(job.graph_format if graph else job.result_format, GRAPH if graph else RESULTS)
    return f'inline; filename="answer.{fmt.suffix}"' if fmt is not None and fmt.suffix else "inline"


def _job(params: dict[str, list[str]], accept: str | None, config: Config) -> tuple[Job, float, Choice]:
    """Return the job a protocol request asks for, its time limit, and its choice of formats.

    The job holds everything that decides the answer (it is the answer cache's key): the query,
    the format for each kind of answer, the row limit and the protocol's dataset.
    """
    timeout, max_rows = _limits(params, config)
    choice = choose(params, accept)
    for name in ("default-graph-uri", "named-graph-uri"):
        if any(not value.strip() for value in params.get(name, [])):
            raise QueryError(f"{name} is empty; give the IRI of a graph of this dataset")
    job = Job(
        params["query"][0],
        choice.results,
        choice.graph,
        max_rows,
        tuple(params.get("default-graph-uri", [])),
        tuple(params.get("named-graph-uri", [])),
        release=release_for(config, params.get("as-of", [])),  # the dataset as of a day
    )
    return job, timeout, choice


async def _protocol_params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/x-www-form-urlencoded":
            body = _utf8(request, await request.body())
            try:
                fields = parse_qsl(body, keep_blank_values=True, errors="strict")
            except UnicodeDecodeError:
                raise QueryError("a form field is not percent-encoded UTF-8; encode it in UTF-8") from None
            for field, entry in fields:
                params.setdefault(field, []).append(entry)
        elif content_type == "application/sparql-query":
            params.setdefault("query", []).append(_utf8(request, await request.body()))
        elif content_type == "application/sparql-update":
            params.setdefault("update", []).append("")
        else:
            raise QueryError(
                "POST needs Content-Type application/x-www-form-urlencoded or application/sparql-query"
            )
    return params


def _utf8(request: Request, body: bytes) -> str:
    """Return a POST body as text: the Protocol's bodies are UTF-8 (§2.1.2, §2.1.3)."""
    for field in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = field.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise QueryError(f"charset={value.strip()} is not allowed: send the body in UTF-8")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(f"the body is not UTF-8 (byte {exc.start}); send it in UTF-8") from None


def _limits(params: dict[str, list[str]], config: Config) -> tuple[float, int]:
    """Return (seconds, rows): the configured limits, lowered (never raised) by the request."""
    timeout, rows = config.query_timeout, config.max_rows
    for name, kind in (("timeout", float), ("max-rows", int)):
        if name in params:
            try:
                value = kind(params[name][0])
            except ValueError:
                raise QueryError(f"{name} must be a number, got {params[name][0]!r}") from None
            if value <= 0:
                raise QueryError(f"{name} must be positive, got {params[name][0]!r}")
            if name == "timeout":
                timeout = min(timeout, float(value))
            else:
                rows = min(rows, int(value))
    return timeout, rows


def _service_description(request: Request, files: Site) -> Response:
    found = files.get("sparql-service-description.ttl")
    if found is None:
        return _text(400, "no query given: pass ?query=… (SPARQL 1.1 Protocol)")
    return _file(request, found, "sparql-service-description.ttl", vary=False)


@dataclass(frozen=True, slots=True)
class OneAnswer:
    """The status, headers and body of one in-process request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def get_scope(target: str, headers: dict[str, str]) -> Scope:
    """The ASGI scope of a GET of ``target`` (path and query string) with ``headers``."""
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path or "/",
        "raw_path": (path or "/").encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }


async def answer_once(app: Starlette, target: str, *, headers: dict[str, str]) -> OneAnswer:
    """Send one GET through the app (lifespan included) without a socket, for debugging."""
    scope = get_scope(target, headers)
    status = 500
    response_headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]
            raw = message.get("headers", [])
            response_headers.extend((k.decode(), v.decode()) for k, v in raw)  # type: ignore[attr-defined]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            chunks.append(body if isinstance(body, bytes) else b"")

    async with app.router.lifespan_context(app):
        await app(scope, receive, send)  # type: ignore[arg-type]
    return OneAnswer(status, tuple(response_headers), b"".join(chunks))
