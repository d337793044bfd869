"""A pool of worker processes that answer SPARQL queries with a hard time limit.

pyoxigraph cannot cancel a running query, so each query runs in a worker process that holds
its own copy of the store; a query that overruns its limit has its worker killed and replaced.
The event loop never blocks: it waits on the worker's pipe with ``add_reader``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from .errors import QueryError


@dataclass(frozen=True, slots=True)
class Job:
    """One query request for a worker: the format for each kind of answer ('' if none fits)."""

    text: str
    result_format: str
    graph_format: str
    max_rows: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """A worker's reply: the serialised body, its media type, and whether rows were cut."""

    body: bytes
    media_type: str
    truncated: bool
    form: str


@dataclass(frozen=True, slots=True)
class Refused:
    """A worker's reply when the request accepts no format that fits the query's form."""

    form: str


class QueryTimeoutError(QueryError):
    """A query ran past its time limit and was stopped."""


class NotAcceptableError(QueryError):
    """The request accepts no format that fits the query's form (HTTP 406)."""

    def __init__(self, form: str) -> None:
        super().__init__(f"no acceptable format for a {form} answer")
        self.form = form


def _serve(connection: Connection, site: str, base: str) -> None:
    """Worker main loop: load the dump once, then answer jobs until the pipe closes."""
    from .results import serialise
    from .sparql import graph_names, load_site_store, run_query
    from .uris import Uris

    store = load_site_store(Path(site))
    graphs = graph_names(store)
    prefixes = Uris(base).prefixes()
    while True:
        try:
            job: Job = connection.recv()
        except EOFError:
            return
        try:
            result = run_query(
                store,
                job.text,
                base=base,
                max_rows=job.max_rows,
                allowed_graphs=graphs,
                default_graphs=job.default_graphs,
                named_graphs=job.named_graphs,
            )
            graph = result.form in ("CONSTRUCT", "DESCRIBE")
            fmt = job.graph_format if graph else job.result_format
            if not fmt:  # the server resolved the request for both kinds of answer; none fits
                connection.send(Refused(result.form))
                continue
            body, media_type = serialise(result, fmt, prefixes=prefixes)
            connection.send(Answer(body, media_type, result.truncated, result.form))
        except QueryError as exc:
            connection.send(exc.message)


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext, site: Path, base: str) -> None:
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, str(site), base), daemon=True, name="klyngedata-sparql"
        )
        self.process.start()
        child.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class QueryPool:
    """Worker processes that each hold the site's dataset and answer one query at a time."""

    def __init__(self, site: Path, base: str, *, size: int) -> None:
        self._site = site
        self._base = base
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._size = size
        self._workers: list[_Worker] = []

    async def start(self) -> None:
        """Start the workers (each loads the dump once)."""
        self._idle = asyncio.Queue()
        for _ in range(self._size):
            worker = _Worker(self._context, self._site, self._base)
            self._workers.append(worker)
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        """Stop every worker."""
        for worker in self._workers:
            worker.stop()
        self._workers.clear()

    async def run(self, job: Job, *, timeout: float) -> Answer:
        """Answer a job within ``timeout`` seconds, or stop it and raise QueryTimeoutError."""
        assert self._idle is not None, "QueryPool.start() was not awaited"
        worker = await self._idle.get()
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        try:
            worker.connection.send(job)
            loop.add_reader(worker.connection.fileno(), _settle, ready)
            try:
                await asyncio.wait_for(asyncio.shield(ready), timeout)
            finally:
                loop.remove_reader(worker.connection.fileno())
            # uvloop's add_reader makes the pipe non-blocking; a large answer needs blocking reads.
            os.set_blocking(worker.connection.fileno(), True)
            reply = worker.connection.recv()
        except (TimeoutError, EOFError, OSError, asyncio.CancelledError) as exc:
            self._replace(worker)
            if isinstance(exc, asyncio.CancelledError):
                raise
            if isinstance(exc, TimeoutError):
                raise QueryTimeoutError(
                    f"the query was stopped after the time limit of {timeout:g} s; "
                    "make it more selective or add a LIMIT"
                ) from None
            raise QueryError("the query worker failed; try again") from None
        self._idle.put_nowait(worker)
        if isinstance(reply, str):
            raise QueryError(reply)
        if isinstance(reply, Refused):
            raise NotAcceptableError(reply.form)
        assert isinstance(reply, Answer)
        return reply

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self._workers.remove(worker)
        fresh = _Worker(self._context, self._site, self._base)
        self._workers.append(fresh)
        assert self._idle is not None
        self._idle.put_nowait(fresh)
