"""The data as of a date: what the project's data says had happened by then, and nothing later.

``release --as-of DATE`` publishes the real history from today's data (the sources give the dates):

- a designation (``kd:ClusterDesignation``) whose ``kd:startDate`` may not have begun by the
  date is left out, with everything said of it and about it;
- an end (``kd:endDate``) that may not have begun by the date is left out (the designation was
  still running);
- a source (``kd:Source``) issued after the date is left out, with every citation of it;
- a cluster organisation no remaining designation names is left out (it enters the data by its
  designation).

A date with the precision the source gives (``2020-12``, ``2022``) "may have begun" by a day when
its first day is on or before it: the data says only the month or year, so nothing more precise
is assumed. ``query --as-of`` and the endpoint's ``as-of`` choose a stored release instead
(:func:`publish.releases.latest_on`).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from .config import Config
from .dataset import LoadedDataset
from .errors import QueryError, UsageError
from .releases import Release, latest_on, load_releases, releases_dir

KD = "ontology#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_ISSUED = "http://purl.org/dc/terms/issued"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DAY = re.compile(r"^(-?[0-9]{4,})(?:-([0-9]{2}))?(?:-([0-9]{2}))?")


def parse_day(text: str, *, parameter: str = "as_of") -> datetime.date:
    """Return the day ``YYYY-MM-DD`` names; raise a UsageError naming the parameter otherwise."""
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise UsageError(f"{text!r} is not a day; give a date like 2021-06-01", parameter=parameter)


def first_day(value: ox.Literal) -> datetime.date | None:
    """Return the first day of an xsd:date, xsd:gYearMonth or xsd:gYear literal (None: another kind)."""
    kind = value.datatype.value.removeprefix(_XSD)
    match = _DAY.match(value.value)
    if kind not in ("date", "gYearMonth", "gYear", "dateTime") or match is None:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def as_of(dataset: LoadedDataset, day: datetime.date) -> LoadedDataset:
    """Return a new dataset holding the data as of ``day`` (see the module's rules); others unchanged."""
    kd = dataset.uris.base + KD
    data = list(dataset.parts["data"])
    types: dict[object, set[str]] = {}
    for quad in data:
        if quad.predicate.value == _RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            types.setdefault(quad.subject, set()).add(quad.object.value)
    dated = {kd + "startDate": kd + "ClusterDesignation", _ISSUED: kd + "Source"}
    later = {
        quad.subject
        for quad in data
        if dated.get(quad.predicate.value) in types.get(quad.subject, ()) and _after(quad.object, day)
    }
    kept = [q for q in data if q.subject not in later and q.object not in later]
    kept = [q for q in kept if not (q.predicate.value == kd + "endDate" and _after(q.object, day))]
    designated = {q.object for q in kept if q.predicate.value == kd + "designatedOrganisation"}
    orphans = {s for s, kinds in types.items() if kd + "ClusterOrganisation" in kinds and s not in designated}
    kept = [q for q in kept if q.subject not in orphans and q.object not in orphans]
    kept = _reachable(kept, dropped={q.object for q in data if q.subject in later | orphans})
    return _with_data(dataset, kept)


def _after(term: object, day: datetime.date) -> bool:
    if not isinstance(term, ox.Literal):
        return False
    first = first_day(term)
    return first is not None and first > day


def _reachable(quads: list[ox.Quad], *, dropped: Iterable[object]) -> list[ox.Quad]:
    """Leave out the blank nodes that only the left-out resources pointed at."""
    blank = {node for node in dropped if isinstance(node, ox.BlankNode)}
    pointed = {q.object for q in quads if isinstance(q.object, ox.BlankNode)}
    gone = blank - pointed
    while gone:
        below = {q.object for q in quads if q.subject in gone and isinstance(q.object, ox.BlankNode)}
        quads = [q for q in quads if q.subject not in gone]
        pointed = {q.object for q in quads if isinstance(q.object, ox.BlankNode)}
        gone = below - pointed
    return quads


def _with_data(dataset: LoadedDataset, data: list[ox.Quad]) -> LoadedDataset:
    parts = {**dataset.parts, "data": tuple(data)}
    store = ox.Store()
    store.bulk_extend(quad for quads in parts.values() for quad in quads)
    return LoadedDataset(
        dataset.uris, parts, dataset.locations, dataset.files, store, dataset.newest_mtime, dataset.file_parts
    )


def release_on(releases: Sequence[Release], day: datetime.date) -> Release:
    """Return the latest release issued on or before ``day``; raise a UsageError when none was."""
    found = latest_on(releases, day)
    if found is None:
        first = f"; the first release was issued {releases[0].issued}" if releases else "; there are none"
        raise UsageError(f"no release was issued on or before {day}{first}", parameter="as_of")
    return found


def release_for(config: Config, values: Sequence[str]) -> str:
    """Return the version whose dataset answers the endpoint's ``as-of`` (``[]``: "", the site's own).

    ``as-of=2021-06-01`` chooses the latest release issued on or before that day; its frozen
    dump is then the dataset (default graph, named graphs, default-graph-uri) of the query.
    Raise a QueryError (answered 400) for a value that is not one day, or a day before every release.
    """
    if not values:
        return ""
    if len(values) > 1:
        raise QueryError("as-of is given more than once; give one day, e.g. as-of=2021-06-01")
    try:
        day = parse_day(values[0])
        return release_on(_history(config, _stamp(releases_dir(config))), day).version
    except UsageError as exc:
        raise QueryError(f"as-of: {exc.message}") from None


def _stamp(folder: Path) -> int:
    """Return the release folder's modification time (a new release changes it), 0 if none."""
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=8)
def _history(config: Config, stamp: int) -> tuple[Release, ...]:
    """Return the stored releases, read once per state of the release folder (``stamp``)."""
    return tuple(load_releases(config))
