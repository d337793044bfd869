"""The changelog pages and the Atom feed of releases (issue 12, item 3), on the real release history.

The feed is read with feedparser (the reference feed library); the pages with html5lib. The
expected releases and sentences come from data/releases (release.toml) and the sources behind
them: MARLOG designated 2 October 2020, its designation ended 2022 (bankruptcy reported 20 April).
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import BASE, ROOT
from jsonld_support import parse_html, text_of

from publish.config import load_config
from publish.server import answer_once, create_app

RELEASES = sorted(
    (
        tomllib.loads((folder / "release.toml").read_text(encoding="utf-8"))
        for folder in (ROOT / "data" / "releases").iterdir()
    ),
    key=lambda table: (table["issued"], table["version"]),
)


def test_the_feed_parses_without_a_bozo_flag_and_lists_every_release(built_site: Path) -> None:
    feed = feedparser.parse((built_site / "releases.atom").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [entry.id for entry in feed.entries] == [
        f"{BASE}changes/{r['version']}" for r in reversed(RELEASES)
    ]
    for entry, release in zip(feed.entries, reversed(RELEASES), strict=True):
        assert entry.updated == f"{release['issued'].isoformat()}T00:00:00Z"
        assert entry.summary == release["notes"]["da"]
        pages = {link.hreflang: link.href for link in entry.links if link.rel == "alternate"}
        version = release["version"]
        assert pages == {"da": f"{BASE}changes/{version}.html", "en": f"{BASE}changes/{version}.en.html"}
        for href in pages.values():
            assert (built_site / href.removeprefix(BASE)).is_file()
    assert feed.feed.updated == f"{RELEASES[-1]['issued'].isoformat()}T00:00:00Z"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [f"{BASE}releases.atom"]


def _changes(built_site: Path, name: str) -> list[str]:
    root = parse_html((built_site / "changes" / name).read_text(encoding="utf-8"))
    return [text_of(li) for li in root.iter("li") if "change" in (li.get("class") or "").split()]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "2022.04.en.html",
            "Maritime & Logistics Innovation Denmark: designation for Maritime industries and logistics "
            "ended 2022",
        ),
        (
            "2022.04.html",
            "Maritime & Logistics Innovation Denmark: udpegningen for Maritime erhverv og logistik "
            "ophørte 2022",
        ),
        (
            "2020.10.en.html",
            "Maritime & Logistics Innovation Denmark: designated for Maritime industries and logistics from "
            "2020-10-02",
        ),
    ],
)
def test_a_changelog_page_tells_the_change_in_its_language(
    built_site: Path, page: str, expected: str
) -> None:
    assert any(expected in change for change in _changes(built_site, page))


def test_the_feed_is_served_as_atom(built_site: Path) -> None:
    app = create_app(load_config(ROOT), built_site)
    answer = asyncio.run(answer_once(app, "/releases.atom", headers={}))
    assert answer.status == 200
    assert dict(answer.headers)["content-type"] == "application/atom+xml; charset=utf-8"


def test_a_release_freezes_the_data_not_the_history(project: Path, cli: Callable[..., Any]) -> None:
    """The changelog, feed, stream and gone pages are made from the history, not frozen into it."""
    result = cli(
        "release",
        "2030.01",
        "--project",
        str(project),
        "--notes",
        "Prøve",
        "--notes-en",
        "Test",
        "--issued",
        "2030-01-01",
    )
    assert result.exit_code == 0, result.stderr
    table = tomllib.loads((project / "data" / "releases" / "2030.01" / "release.toml").read_text("utf-8"))
    assert "dataset.nq.gz" in table["files"]
    history = ("changes/", "ldes.", "ldes/", "releases.atom", "gone/")
    assert [path for path in table["files"] if path.startswith(history)] == []
