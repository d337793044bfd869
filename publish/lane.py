"""The server's own query thread: cheap queries answered without crossing to a worker process.

A query handed to a worker (publish/workers.py) costs the server a pickle, two pipe crossings
and two process switches: several times what a label lookup costs to answer. pyoxigraph cannot
cancel a query, which is why workers exist: a worker that overruns the time limit is killed.
This lane runs in the server's process, in one thread of its own, only the queries whose cost
the parse tree proves small (publish/cost.py: at most ``sparql_inline_cost``). Everything else,
and anything asked while the lane is not ready, goes to the workers as before.

Layers, each on its own:

* the guard (publish/guard.py) checks the query as a worker would;
* the cost bound admits only queries of a narrow class whose work it can bound from the store's
  counts; a query outside it is turned away after the guard, before it runs;
* the thread is shut off from the network by the same seccomp filter as a worker, on itself
  alone (publish/sandbox.py);
* a query waits for the lane at most ``sparql_inline_wait`` seconds, then goes to a worker; a
  query the lane has started is answered within its time limit or gets the same 503 a worker's
  overrun gets, and while such a query still runs (it cannot be stopped) the lane takes nothing
  new and every query goes to the workers.

The thread holds its own copy of the site's dataset (loaded from the dump when the lane starts,
as a worker does) and the counts the bound reads; a new site gets a new lane.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import dump
from .config import Config
from .guard import check_size
from .workers import (
    Answer,
    Job,
    QueryPool,
    QueryTimeoutError,
    WorkerLimits,
    answer_job,
    answer_of,
    limits_of,
)

if TYPE_CHECKING:
    from .cost import Counts
    from .guard import QueryPlan

_QUEUED, _TAKEN, _WITHDRAWN = 0, 1, 2


@dataclass(slots=True)
class _Ticket:
    """One job in the lane: its future, where it is, and the timer that watches it."""

    job: Job
    future: asyncio.Future[object]
    limit: float  # the job's time limit, in seconds
    deadline: float
    state: int = _QUEUED
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class _Declined:
    """What the lane answers for a job it does not run (not cheap, or withdrawn in time)."""


_DECLINED = _Declined()


class Lane:
    """One thread of the server that answers the queries the cost bound proves cheap."""

    def __init__(self, site: Path, base: str, *, budget: int, wait: float, limits: WorkerLimits) -> None:
        self._site = site
        self._base = base
        self._budget = budget
        self._wait = wait
        self._limits = limits
        self._queue: queue.SimpleQueue[_Ticket | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.ready = False  # set by the thread once the dataset is loaded and the sandbox is on
        self.problem = ""  # why the lane does not run, if it stopped before it was ready
        self._busy_since = 0.0  # monotonic time the running job started; 0 when idle
        self._done: deque[tuple[asyncio.Future[object], object]] = deque()  # answers for the loop
        self._waking = False  # whether the loop has been asked to take them
        self._retired = False
        self.answered = 0  # queries the lane ran to an answer, an error or the time limit (tests read it)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the thread; until it has loaded the dataset every query goes to the workers."""
        if self._budget <= 0:
            return
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="klyngedata-lane", daemon=True)
        self._thread.start()

    def retire(self) -> None:
        """Take nothing new; the thread answers what it holds, then ends and frees its dataset."""
        self._retired = True
        self.ready = False
        self._queue.put(None)

    def takes(self, job: Job) -> bool:
        """Whether the lane may be offered ``job`` now (the site's own dataset, lane free)."""
        if not self.ready or job.release:
            return False
        busy = self._busy_since
        return not busy or time.monotonic() - busy < self._wait

    async def answer(self, job: Job, timeout: float) -> Answer | None:
        """Answer ``job`` in the lane within ``timeout`` s; None when the workers must (the query
        is not proven cheap, or the lane did not start it within ``sparql_inline_wait``)."""
        loop = asyncio.get_running_loop()
        ticket = _Ticket(job, loop.create_future(), timeout, loop.time() + timeout)
        ticket.timer = loop.call_later(min(self._wait, timeout), self._watch, ticket)
        self._queue.put(ticket)
        try:
            result = await ticket.future
        finally:
            if ticket.timer is not None:
                ticket.timer.cancel()
            with self._lock:
                if ticket.state == _QUEUED:  # the request went away: the lane skips it
                    ticket.state = _WITHDRAWN
        if result is _DECLINED:
            return None
        self.answered += 1
        return answer_of(result)

    def _watch(self, ticket: _Ticket) -> None:
        """On the loop: a job not started in time goes to the workers; one started and not done
        by its deadline gets the time limit's answer."""
        ticket.timer = None
        if ticket.future.done():
            return
        with self._lock:
            if ticket.state == _QUEUED:
                ticket.state = _WITHDRAWN
                ticket.future.set_result(_DECLINED)
                return
        assert self._loop is not None
        left = ticket.deadline - self._loop.time()
        if left > 0:
            ticket.timer = self._loop.call_later(left, self._watch, ticket)
            return
        ticket.future.set_result(
            QueryTimeoutError(
                f"the query ran past the time limit of {ticket.limit:g} s and was not answered; "
                "make it more selective or add a LIMIT"
            )
        )

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        try:
            store, graphs, counts, prefixes = self._load()
        except Exception as exc:  # no lane: every query goes to the workers, which say the same
            self.problem = str(exc)
            return
        self.ready = not self._retired
        while True:
            ticket = self._queue.get()
            if ticket is None:
                return
            with self._lock:
                if ticket.state != _QUEUED:
                    continue
                ticket.state = _TAKEN
            self._busy_since = time.monotonic()
            try:
                result = self._answer(store, graphs, counts, prefixes, ticket.job)
            except Exception as exc:  # the lane never ends on a query: it is the workers' way
                result = f"the query failed: {exc}"
            self._busy_since = 0.0
            self._done.append((ticket.future, result))
            if not self._waking:  # one wake-up of the loop for every answer it has not yet taken
                self._waking = True
                assert self._loop is not None
                try:
                    self._loop.call_soon_threadsafe(self._deliver)
                except RuntimeError:  # the loop has closed: the server is stopping
                    return

    def _deliver(self) -> None:
        """On the loop: hand every answer the thread has finished to its request."""
        self._waking = False
        while self._done:
            future, result = self._done.popleft()
            if not future.done():
                future.set_result(result)

    def _load(self) -> tuple[ox.Store, frozenset[str], Counts, dict[str, str]]:
        from .cost import Counts
        from .sandbox import SandboxError, deny_network
        from .sparql import graph_names
        from .uris import Uris

        store = dump.load_store(self._site)
        counts = Counts.of(store)
        try:
            deny_network(every_thread=False)
        except SandboxError:
            if self._limits.sandbox:
                raise
        return store, graph_names(store), counts, Uris(self._base).prefixes()

    def _answer(
        self, store: ox.Store, graphs: frozenset[str], counts: Counts, prefixes: dict[str, str], job: Job
    ) -> object:
        from .cost import bound
        from .sparql import NotAdmittedError

        def cheap(plan: QueryPlan) -> bool:
            if plan.tree is None or plan.default_graphs or plan.named_graphs:
                return False
            return bound(plan.tree, counts, budget=self._budget, graphs=len(graphs)) is not None

        try:
            return answer_job(
                store,
                graphs,
                job,
                base=self._base,
                prefixes=prefixes,
                limits=self._limits,
                admit=cheap,
            )
        except NotAdmittedError:
            return _DECLINED


class Engines:
    """Where one site's queries run: the lane when it takes a query and proves it cheap, else the
    worker pool, with what is left of the query's time limit."""

    def __init__(self, pool: QueryPool, lane: Lane, limits: WorkerLimits) -> None:
        self.pool = pool
        self.lane = lane
        self._limits = limits

    async def start(self) -> None:
        """Start the lane's thread, then the workers (waiting until they have loaded the dump)."""
        self.lane.start(asyncio.get_running_loop())
        await self.pool.start()

    def retire(self) -> None:
        """Take no new query; what is running is answered (a new site is being served)."""
        self.lane.retire()
        self.pool.retire()

    async def close(self) -> None:
        self.lane.retire()
        await self.pool.close()

    async def run(self, job: Job, *, timeout: float) -> Answer:
        """Answer ``job`` within ``timeout`` seconds, in the lane or a worker."""
        if not self.lane.takes(job):  # a worker: refuse what its guard would, before it waits
            check_size(job.text, max_length=self._limits.max_length, max_depth=self._limits.max_depth)
            return await self.pool.run(job, timeout=timeout)
        started = time.monotonic()
        answer = await self.lane.answer(job, timeout)
        if answer is not None:
            return answer
        left = max(timeout - (time.monotonic() - started), 0.001)
        return await self.pool.run(job, timeout=left, limit=timeout)


def engines_for(config: Config, site: Path, *, workers: int | None = None) -> Engines:
    """The lane and the worker pool that answer the queries of ``site``."""
    limits = limits_of(config)
    pool = QueryPool(
        site,
        config.base_iri,
        size=workers or config.sparql_workers,
        limits=limits,
        reserve_timeout=config.sparql_reserve_timeout,
    )
    lane = Lane(
        site, config.base_iri, budget=config.sparql_inline_cost, wait=config.sparql_inline_wait, limits=limits
    )
    return Engines(pool, lane, limits)
