"""A pool of worker processes that answer SPARQL queries with hard time and memory limits.

pyoxigraph cannot cancel a running query, so a query runs in a worker process that holds
its own copy of the store; a query that overruns its limit has its worker killed and replaced.
(The few queries whose cost the parse tree proves small are answered in the server's own thread
instead, publish/lane.py; the pool answers every other one.)
The event loop never blocks on a worker: each has a pipe for jobs and one for answers, and the
loop reads the answers pipe (non-blocking, registered once per worker) as bytes arrive. Idle
workers and waiting queries meet without locks or extra tasks (the loop is one thread).

Each worker shuts itself off from the network (seccomp) and caps its heap once it has loaded
the dump (publish/sandbox.py). Besides the ``size`` workers the pool keeps one reserve worker
that takes a query only while every other worker is busy, under a short time limit: a few
slow queries can hold the regular workers, but a cheap query still gets an answer at once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import signal
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from . import dump
from .config import Config
from .errors import QueryError, UsageError
from .guard import check_size
from .sandbox import supported

if TYPE_CHECKING:
    from .guard import QueryPlan

_READY = "ready"  # a worker's first message once it can answer
_START_TIMEOUT = 120.0  # seconds a worker may take to load the dump


@dataclass(frozen=True, slots=True)
class Job:
    """One query request for a worker: the format for each kind of answer ('' if none fits)."""

    text: str
    result_format: str
    graph_format: str
    max_rows: int
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    # (variable name, RDF term) pairs bound before the query runs (a named query's parameters)
    substitutions: tuple[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple], ...] = ()
    # a stored release whose dataset answers instead of the site's ('' for the site's own):
    # the dump frozen at release/<version>/ (``as-of``, publish.asof)
    release: str = ""

    def __reduce__(self) -> tuple[type[Job], tuple[object, ...]]:
        # pickled as a plain tuple: a dataclass's own getstate/setstate cost 8× as much per query
        fields = (self.text, self.result_format, self.graph_format, self.max_rows)
        return Job, (*fields, self.default_graphs, self.named_graphs, self.substitutions, self.release)


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    """What every worker enforces: query length and nesting, heap size, the network sandbox."""

    max_length: int = 65_536
    max_depth: int = 64
    memory_mb: int = 512
    sandbox: bool = True  # False only where the config allows running without seccomp


@dataclass(frozen=True, slots=True)
class Answer:
    """A worker's reply: the serialised body, its media type, and whether rows were cut."""

    body: bytes
    media_type: str
    truncated: bool
    form: str

    def __reduce__(self) -> tuple[type[Answer], tuple[object, ...]]:
        return Answer, (self.body, self.media_type, self.truncated, self.form)


@dataclass(frozen=True, slots=True)
class Refused:
    """A worker's reply when the request accepts no format that fits the query's form."""

    form: str

    def __reduce__(self) -> tuple[type[Refused], tuple[object, ...]]:
        return Refused, (self.form,)


class QueryTimeoutError(QueryError):
    """A query ran past its time limit and was stopped."""


class NotAcceptableError(QueryError):
    """The request accepts no format that fits the query's form (HTTP 406)."""

    def __init__(self, form: str) -> None:
        super().__init__(f"no acceptable format for a {form} answer")
        self.form = form


def _serve(jobs: Connection, answers: Connection, site: str, base: str, limits: WorkerLimits) -> None:
    """Worker main loop: load the dump once, shut off the network, then answer jobs until EOF."""
    from . import results  # noqa: F401  (answer_job's imports, made before the worker says it is ready)
    from .sandbox import SandboxError, deny_network, limit_memory
    from .sparql import graph_names
    from .uris import Uris

    store = dump.load_store(Path(site))
    datasets = {"": (store, graph_names(store))}
    prefixes = Uris(base).prefixes()
    try:
        deny_network()
    except SandboxError as exc:
        if limits.sandbox:
            _say(answers, f"{exc.message}; set allow_unsandboxed = true to run without it")
            return
    limit_memory(limits.memory_mb)
    _say(answers, _READY)
    while True:
        try:
            job: Job = jobs.recv()
        except EOFError:
            return
        try:
            if job.release not in datasets:  # a release's frozen dump, loaded when first asked for
                frozen = dump.load_store(Path(site) / Uris(base).release_path(job.release))
                datasets[job.release] = (frozen, graph_names(frozen))
        except QueryError as exc:
            _say(answers, exc.message)
            continue
        store, graphs = datasets[job.release]
        _say(answers, answer_job(store, graphs, job, base=base, prefixes=prefixes, limits=limits))


def answer_job(
    store: ox.Store,
    graphs: frozenset[str],
    job: Job,
    *,
    base: str,
    prefixes: dict[str, str],
    limits: WorkerLimits,
    admit: Callable[[QueryPlan], bool] | None = None,
) -> Answer | Refused | str:
    """Run a job on ``store``: its answer, a refusal (no format fits), or why it failed.

    With ``admit`` (the server's own query thread), a query ``admit`` turns away raises
    NotAdmittedError once it is checked, before it runs.
    """
    from .results import serialise
    from .sparql import run_query

    try:
        result = run_query(
            store,
            job.text,
            base=base,
            max_rows=job.max_rows,
            allowed_graphs=graphs,
            default_graphs=job.default_graphs,
            named_graphs=job.named_graphs,
            substitutions={ox.Variable(name): term for name, term in job.substitutions},
            max_length=limits.max_length,
            max_depth=limits.max_depth,
            admit=admit,
        )
        graph = result.form in ("CONSTRUCT", "DESCRIBE")
        fmt = job.graph_format if graph else job.result_format
        if not fmt:  # the server resolved the request for both kinds of answer; none fits
            return Refused(result.form)
        body, media_type = serialise(result, fmt, prefixes=prefixes)
        return Answer(body, media_type, result.truncated, result.form)
    except QueryError as exc:
        return exc.message


def answer_of(reply: object) -> Answer:
    """Return the Answer that ``reply`` (what answer_job gave) is, or raise the error it names."""
    if isinstance(reply, QueryError):
        raise reply
    if isinstance(reply, str):
        raise QueryError(reply)
    if isinstance(reply, Refused):
        raise NotAcceptableError(reply.form)
    assert isinstance(reply, Answer)
    return reply


def _say(answers: Connection, message: object) -> None:
    """Send one message to the pool (plain pickle: a fresh ForkingPickler per message costs more)."""
    answers.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


class _Worker:
    """A worker process, its jobs pipe (blocking writes) and its answers as they arrive."""

    def __init__(
        self,
        context: multiprocessing.context.SpawnContext,
        site: Path,
        base: str,
        limits: WorkerLimits,
        *,
        reserve: bool,
    ) -> None:
        self.reserve = reserve
        jobs_end, self.jobs = context.Pipe(duplex=False)
        self.answers, answers_end = context.Pipe(duplex=False)
        self.process: BaseProcess = context.Process(
            target=_serve,
            args=(jobs_end, answers_end, str(site), base, limits),
            daemon=True,
            name="klyngedata-sparql",
        )
        self.process.start()
        jobs_end.close()
        answers_end.close()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._buffer = bytearray()
        self._arrived: deque[object] = deque()
        self._waiting: asyncio.Future[object] | None = None
        self._ended = False

    def listen(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read this worker's answers from now on, as the loop sees bytes on its pipe."""
        self._loop = loop
        os.set_blocking(self.answers.fileno(), False)
        loop.add_reader(self.answers.fileno(), self._readable)

    def send(self, job: Job) -> None:
        self.jobs.send_bytes(pickle.dumps(job, pickle.HIGHEST_PROTOCOL))

    async def receive(self, timeout: float) -> object:
        """Return the worker's next message; TimeoutError after ``timeout`` s, EOFError if it ended."""
        if not self._arrived and not self._ended:
            assert self._loop is not None and self._waiting is None
            self._waiting = waiting = self._loop.create_future()
            expiry = self._loop.call_later(max(timeout, 0.001), _expire, waiting)
            try:
                await waiting
            finally:
                expiry.cancel()
                self._waiting = None
        if self._arrived:
            return self._arrived.popleft()
        raise EOFError

    def _readable(self) -> None:
        try:
            chunk = os.read(self.answers.fileno(), 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._ended = True
            self._forget()
        self._buffer += chunk
        while len(self._buffer) >= 4:
            (size,) = _SIZE.unpack_from(self._buffer)
            start = 4
            if size == -1:  # multiprocessing's header for a message of 2 GiB or more
                if len(self._buffer) < 12:
                    break
                (size,) = _LARGE_SIZE.unpack_from(self._buffer, 4)
                start = 12
            if len(self._buffer) < start + size:
                break
            self._arrived.append(pickle.loads(self._buffer[start : start + size]))
            del self._buffer[: start + size]
        if (self._arrived or self._ended) and self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(None)

    def _forget(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.answers.fileno())
            self._loop = None

    def stop(self) -> None:
        self._forget()
        self._ended = True  # a query still waiting on this worker (the pool closed) ends now
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(None)
        self.process.kill()
        self.process.join(timeout=5)
        self.jobs.close()
        self.answers.close()

    def failure(self, limits: WorkerLimits) -> str:
        """Say why this worker ended without an answer, from its exit code."""
        self.process.join(timeout=2)
        code = self.process.exitcode
        if code == -signal.SIGABRT or code == 1:
            return (
                f"the query needed more memory than a query may use ({limits.memory_mb} MiB, "
                "config key worker_memory) and was stopped; make it more selective"
            )
        return "the query stopped its worker unexpectedly and was not answered; try again"


_SIZE = struct.Struct("!i")  # multiprocessing.Connection's message header
_LARGE_SIZE = struct.Struct("!Q")


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class BusyError(QueryTimeoutError):
    """Every worker stayed busy for the whole time limit of a waiting query."""


class QueryPool:
    """Worker processes that each hold the site's dataset and answer one query at a time.

    A worker counts as idle only once it has said it is ready (dump loaded, sandbox on), so a
    replacement's start-up never eats into a query's time limit; nor does a new pool's: a query
    asked while no worker has started yet waits for the first (up to the start-up limit) before
    its time limit counts.
    """

    def __init__(
        self,
        site: Path,
        base: str,
        *,
        size: int,
        limits: WorkerLimits | None = None,
        reserve_timeout: float = 1.0,
    ) -> None:
        self._site = site
        self._base = base
        self._limits = limits or WorkerLimits()
        self._reserve_timeout = reserve_timeout
        self._context = _worker_context()
        self._idle: list[_Worker] = []
        self._waiters: deque[asyncio.Future[_Worker]] = deque()
        self._size = size
        self._workers: list[_Worker] = []
        self._starting: set[asyncio.Task[None]] = set()
        self._broken = ""
        self._closed = False
        self._up = asyncio.Event()  # set once a worker is ready, the pool is broken or it closed

    async def start(self) -> None:
        """Start the workers and the reserve, and wait until each has loaded the dump."""
        self._closed = False
        for number in range(self._size + (1 if self._reserve_timeout > 0 else 0)):
            self._add(reserve=number == self._size)
        await asyncio.gather(*list(self._starting))

    async def close(self) -> None:
        """Stop every worker."""
        self.retire()
        for worker in self._workers:
            worker.stop()
        self._workers.clear()
        self._release_waiters()

    def retire(self) -> None:
        """Stop taking part (a new pool serves a new site): stop the idle and starting workers now;
        a busy one answers its query, and the queries already waiting, then stops."""
        self._closed = True
        self._up.set()
        for task in list(self._starting):
            task.cancel()
        for worker in self._idle:
            worker.stop()
            self._workers.remove(worker)
        self._idle.clear()
        self._release_waiters()

    def _release_waiters(self) -> None:
        """In a retired pool with no worker left, tell the queries still waiting to ask again."""
        if not (self._closed and not self._workers):
            return
        while self._waiters:
            waiting = self._waiters.popleft()
            if not waiting.done():
                waiting.set_exception(BusyError("the site changed while this query waited; ask again"))

    async def run(self, job: Job, *, timeout: float, limit: float | None = None) -> Answer:
        """Answer a job within ``timeout`` seconds, or stop it and raise QueryTimeoutError naming
        ``limit`` (the query's whole time limit, if part of it went elsewhere; default ``timeout``)."""
        if not self._up.is_set():  # a new pool: its start-up is not the query's time
            try:
                await asyncio.wait_for(self._up.wait(), _START_TIMEOUT)
            except TimeoutError:
                raise QueryTimeoutError(f"no query worker started within {_START_TIMEOUT:g} s") from None
        if self._broken:
            raise QueryError(self._broken)
        loop = asyncio.get_running_loop()
        started = loop.time()
        worker = await self._acquire(timeout, limit or timeout)
        left = timeout - (loop.time() - started)
        if worker.reserve:
            left = min(left, self._reserve_timeout)
        try:
            worker.send(job)
            reply = await worker.receive(left)
        except (TimeoutError, EOFError, OSError, asyncio.CancelledError) as exc:
            message = (
                "" if isinstance(exc, TimeoutError | asyncio.CancelledError) else worker.failure(self._limits)
            )
            await self._replace(worker)
            if isinstance(exc, asyncio.CancelledError):
                raise
            if isinstance(exc, TimeoutError):
                raise QueryTimeoutError(self._timeout_message(worker, limit or timeout)) from None
            raise QueryError(message) from None
        self._release(worker)
        return answer_of(reply)

    def _timeout_message(self, worker: _Worker, timeout: float) -> str:
        if worker.reserve and self._reserve_timeout < timeout:
            return (
                f"every query worker is busy; this query ran in the reserve worker, which stops "
                f"a query after {self._reserve_timeout:g} s; try again later or make it more selective"
            )
        return (
            f"the query was stopped after the time limit of {timeout:g} s; "
            "make it more selective or add a LIMIT"
        )

    async def _acquire(self, timeout: float, limit: float) -> _Worker:
        """Take an idle regular worker, else the idle reserve, else wait (at most ``timeout``; the
        refusal names ``limit``, all the query waited)."""
        if self._idle:
            worker = min(self._idle, key=lambda w: w.reserve)
            self._idle.remove(worker)
            return worker
        loop = asyncio.get_running_loop()
        waiting: asyncio.Future[_Worker] = loop.create_future()
        self._waiters.append(waiting)
        expiry = loop.call_later(timeout, _expire, waiting)
        try:
            return await waiting
        except TimeoutError:
            raise BusyError(f"every query worker stayed busy for {limit:g} s; try again later") from None
        except asyncio.CancelledError:
            if waiting.done() and not waiting.cancelled() and waiting.exception() is None:
                self._release(waiting.result())  # handed over just as the request went away
            raise
        finally:
            expiry.cancel()

    def _release(self, worker: _Worker) -> None:
        """Hand a free worker to the longest-waiting query, or keep it idle."""
        while self._waiters:
            waiting = self._waiters.popleft()
            if not waiting.done():
                waiting.set_result(worker)
                return
        if self._closed:  # retired: nothing more to answer
            worker.stop()
            if worker in self._workers:
                self._workers.remove(worker)
            self._release_waiters()
            return
        self._idle.append(worker)

    async def _replace(self, worker: _Worker) -> None:
        worker.stop()
        if worker in self._workers:
            self._workers.remove(worker)
        if not self._closed:
            self._add(reserve=worker.reserve)
        self._release_waiters()

    def _add(self, *, reserve: bool) -> None:
        fresh = _Worker(self._context, self._site, self._base, self._limits, reserve=reserve)
        fresh.listen(asyncio.get_running_loop())
        self._workers.append(fresh)
        task = asyncio.get_running_loop().create_task(self._welcome(fresh))
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _welcome(self, worker: _Worker) -> None:
        """Wait for a new worker's first word: ready, or why it cannot run queries."""
        try:
            word = await worker.receive(_START_TIMEOUT)
        except (TimeoutError, EOFError, OSError):
            word = worker.failure(self._limits)
        if word != _READY:
            self._broken = str(word)
            self._up.set()
            return
        self._release(worker)
        self._up.set()


def _worker_context() -> Any:
    """The way workers start: from a fork server where there is one (a clean process, started
    once, that has imported the worker's code: a new worker is a fork of it, a few milliseconds
    instead of a new interpreter's half second), else as new interpreters. Either way a worker
    shares nothing with the server's threads and state."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def limits_of(config: Config) -> WorkerLimits:
    """Return the limits every worker of a project enforces."""
    return WorkerLimits(
        max_length=config.max_query_length,
        max_depth=config.max_query_depth,
        memory_mb=config.worker_memory,
        sandbox=not config.allow_unsandboxed,
    )


def require_sandbox(config: Config) -> None:
    """Refuse to run queries where workers cannot be cut off the network, unless the config allows it."""
    reason = supported()
    if reason is not None and not config.allow_unsandboxed:
        raise UsageError(
            f"SPARQL queries run only in workers cut off from the network, and {reason}; "
            "set allow_unsandboxed = true in [tool.klyngedata] to run without that second layer"
        )


def answer_one(site: Path, config: Config, job: Job) -> Answer:
    """Answer one job in one sandboxed worker (the ``query`` command) within the time limit."""
    dump.require(site)
    require_sandbox(config)
    check_size(job.text, max_length=config.max_query_length, max_depth=config.max_query_depth)

    async def run() -> Answer:
        pool = QueryPool(site, config.base_iri, size=1, limits=limits_of(config), reserve_timeout=0)
        await pool.start()
        try:
            return await pool.run(job, timeout=config.query_timeout)
        finally:
            await pool.close()

    return asyncio.run(run())
