"""The states of the dataset a diff compares: stored releases, and the working data.

``working`` names the data as it is now in ontology/, data/ and shapes/; any other name is a
release version (``data/releases/<VERSION>/dataset.nq``, read through :mod:`publish.releases`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .config import Config
from .dataset import load
from .diff import Diff, Snapshot, compare, snapshot
from .errors import UsageError
from .releases import Release, load_releases
from .uris import PARTS

WORKING = "working"


def state(config: Config, name: str, releases: Sequence[Release], *, parameter: str) -> Snapshot:
    """Return the state a name stands for; raise a UsageError naming ``parameter`` if there is none."""
    if name == WORKING:
        dataset = load(config)
        return snapshot(WORKING, dataset.quads(*PARTS), config.uris)
    for release in releases:
        if release.version == name:
            return release_state(release, config)
    known = ", ".join([r.version for r in releases] + [WORKING])
    raise UsageError(f"{parameter.upper()}: no release {name!r}; give one of: {known}", parameter=parameter)


def release_state(release: Release, config: Config) -> Snapshot:
    """Return the state a release stored (its dataset.nq)."""
    return snapshot(release.version, release.quads(), config.uris)


def empty(config: Config) -> Snapshot:
    """Return the state before the first release: nothing."""
    return snapshot("", [], config.uris)


def diff(config: Config, old: str, new: str) -> Diff:
    """Return the changes from the state ``old`` to the state ``new`` (versions or ``working``)."""
    releases = load_releases(config)
    return compare(
        state(config, old, releases, parameter="old"), state(config, new, releases, parameter="new")
    )


def release_diffs(config: Config, releases: Sequence[Release]) -> list[tuple[Release, Diff]]:
    """Return each release with its changes since the release before it (the first: since nothing)."""
    found: list[tuple[Release, Diff]] = []
    before = empty(config)
    for release in releases:
        after = release_state(release, config)
        found.append((release, compare(before, after)))
        before = after
    return found
