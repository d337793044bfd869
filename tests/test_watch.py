"""`klyngedata serve --watch` (issue 11): a saved edit is served as soon as it is built; data
that does not conform leaves the last good site served, with the report as a banner on its pages
and in the terminal, until the data is fixed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import html5lib
import pytest
from conftest import ROOT, free_port, hashes, make_tiny, stop

SUBJECT = "organisation:uddannelses-og-forskningsministeren a org:Post"
IRI = "https://w3id.org/klyngedata/id/organisation/uddannelses-og-forskningsministeren"
PAGE = "/id/organisation/uddannelses-og-forskningsministeren"
LABEL = '"Uddannelses- og forskningsministeren"@da'
WAIT = 180.0  # generous: a rebuild takes seconds, more on a busy machine


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def _until(what: str, check: Callable[[], Any]) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not seen within {WAIT:g} s: {what}")


def _page(server: str, suffix: str) -> Any:
    status, body = _get(f"{server}{PAGE}{suffix}")
    assert status == 200, status
    return html5lib.parse(body, namespaceHTMLElements=False)


def _title(document: Any) -> str:
    return "".join(document.find(".//h1").itertext()).strip()


def _banner(document: Any) -> Any:
    return document.find(".//div[@id='preview-problem']")


def _sparql_labels(server: str) -> set[str]:
    query = f"SELECT ?l WHERE {{ <{IRI}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }}"
    status, body = _get(f"{server}/sparql?" + urllib.parse.urlencode({"query": query, "format": "json"}))
    if status != 200:
        return set()
    return {row["l"]["value"] for row in json.loads(body)["results"]["bindings"]}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A copy of the tiny project served with --watch; its server URL, project and stderr file."""
    project = make_tiny(tmp_path / "project")
    port = free_port()
    err = tmp_path / "stderr.txt"
    command = [str(Path(sys.executable).parent / "klyngedata"), "serve", "--watch", "--project", str(project)]
    with err.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=sink, env=dict(os.environ)
        )
        try:
            server = f"http://127.0.0.1:{port}"
            _until("the server's first answer", lambda: _get(server + PAGE + ".html")[0] == 200)
            yield server, project, err
        finally:
            stop(process)


def test_an_edit_is_served_and_a_failure_shows_on_the_last_good_site(watched: tuple[str, Path, Path]) -> None:
    server, project, err = watched
    data = project / "data" / "tiny.ttl"
    lines = data.read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if text.startswith(SUBJECT))
    words = {
        lang: tomllib.loads((ROOT / "publish" / "messages" / f"{lang}.toml").read_text(encoding="utf-8"))
        for lang in ("da", "en")
    }
    assert _title(_page(server, ".html")) == "Uddannelses- og forskningsministeren"

    # A label edit: the page and the query workers serve it once the new site is swapped in.
    _edit(data, LABEL, '"Ministeren for uddannelse"@da')
    _until("the new label on the page", lambda: _title(_page(server, ".html")) == "Ministeren for uddannelse")
    _until("the new label in SPARQL answers", lambda: "Ministeren for uddannelse" in _sparql_labels(server))
    assert _banner(_page(server, ".html")) is None

    # Two Danish labels break a shape: the last good site stays, with the report over it.
    _edit(data, '"Ministeren for uddannelse"@da', '"Ministeren for uddannelse"@da, "Ministeren"@da')
    banner = _until("the banner", lambda: _banner(_page(server, ".html")))
    document = _page(server, ".html")
    assert _title(document) == "Ministeren for uddannelse"  # the previous site, underneath
    for lang, suffix in (("da", ".html"), ("en", ".en.html")):
        banner = _banner(_page(server, suffix))
        text = "".join(banner.itertext())
        assert banner.get("lang") == lang
        assert f"{words[lang]['validate']['defined_at']}: data/tiny.ttl:{line}" in text, text
        assert words[lang]["preview"]["heading"] in text
        assert "skos:prefLabel" in text
    status, _ = _get(f"{server}/dataset.nq.gz")
    assert status == 200  # documents are served as they are

    # Fixed: the banner goes and the fixed data is served.
    _edit(data, '"Ministeren for uddannelse"@da, "Ministeren"@da', '"Ministeren"@da')
    _until("the fixed label", lambda: _title(_page(server, ".html")) == "Ministeren")
    assert _banner(_page(server, ".html")) is None and _banner(_page(server, ".en.html")) is None

    terminal = err.read_text(encoding="utf-8")
    assert f"data/tiny.ttl:{line}" in terminal
    assert "still serving the previous site" in terminal
    assert "Traceback" not in terminal


def test_broken_turtle_is_reported_and_the_server_keeps_serving(watched: tuple[str, Path, Path]) -> None:
    server, project, err = watched
    data = project / "data" / "tiny.ttl"
    _edit(data, LABEL, '"Uddannelses- og forskningsministeren@da')  # an unclosed string
    banner = _until("the banner", lambda: _banner(_page(server, ".html")))
    assert "data/tiny.ttl" in "".join(banner.itertext())
    assert _title(_page(server, ".html")) == "Uddannelses- og forskningsministeren"
    _edit(data, '"Uddannelses- og forskningsministeren@da', LABEL)
    _until("the banner gone", lambda: _banner(_page(server, ".html")) is None)
    assert "Traceback" not in err.read_text(encoding="utf-8")


def test_a_failing_watcher_is_reported_and_the_server_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher thread never dies with a traceback: it says why it stopped watching."""
    import watchfiles

    from publish.config import load_config
    from publish.watch import Watcher

    said: list[str] = []
    watcher = Watcher(load_config(make_tiny(tmp_path / "project")), lang="en", echo=said.append)

    def broken(*folders: object, **options: object) -> Iterator[object]:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchfiles, "watch", broken)
    watcher.start()
    watcher.close()
    assert len(said) == 1 and "Stopped watching" in said[0] and "inotify watch limit reached" in said[0]


def test_with_the_server_running_a_catalogue_that_violates_dcat_ap_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the server's threads run, a rebuild forks no child for the catalogue's DCAT-AP check;
    it checks in its own process, and the verdict still decides: a catalogue that violates
    DCAT-AP publishes nothing and the report names what is missing."""
    import pyoxigraph as ox
    import watchfiles

    from publish import catalog as catalog_module
    from publish.config import load_config
    from publish.watch import Watcher

    project = make_tiny(tmp_path / "project")
    data = project / "data" / "tiny.ttl"
    said: list[str] = []
    watcher = Watcher(load_config(project), lang="en", echo=said.append)
    assert watcher.rebuild() is not None  # before the server starts: a build as any other

    def no_events(*folders: object, stop_event: threading.Event, **options: object) -> Iterator[object]:
        stop_event.wait()  # the test calls rebuild itself
        return iter(())

    monkeypatch.setattr(watchfiles, "watch", no_events)
    idle = threading.Event()
    server = threading.Thread(target=idle.wait, name="the server")  # as uvicorn's: nothing is forked
    server.start()
    try:
        watcher.start()
        data.write_text(data.read_text(encoding="utf-8").replace(LABEL, '"Ministeren"@da'), encoding="utf-8")
        assert watcher.rebuild() is not None, said[-1]
        assert '"Ministeren"@da' in (project / "site" / "dataset.ttl").read_text(encoding="utf-8")
        site = hashes(project / "site")
        real = catalog_module.template

        def untitled(uris: Any) -> list[ox.Triple]:
            dataset, title = ox.NamedNode(uris.dataset), "http://purl.org/dc/terms/title"
            return [t for t in real(uris) if not (t.subject == dataset and t.predicate.value == title)]

        monkeypatch.setattr(catalog_module, "template", untitled)
        data.write_text(data.read_text(encoding="utf-8").replace('"Ministeren"@da', LABEL), encoding="utf-8")
        assert watcher.rebuild() is None
        assert "does not conform to DCAT-AP 3.0.1" in said[-1] and "dct:title is missing" in said[-1]
        assert "Traceback" not in said[-1]
        assert hashes(project / "site") == site
    finally:
        watcher.close()
        idle.set()
        server.join()


def _through_banner(
    method: str, headers: list[tuple[bytes, bytes]]
) -> tuple[dict[bytes, bytes], bytes, list]:
    """Send one request through the Banner middleware around a stub app serving a small page."""
    import asyncio

    from publish.i18n import load_messages
    from publish.preview import Banner, Live

    page = b'<!DOCTYPE html>\n<html lang="en">\n<body class="x">\n<h1>Old</h1>\n</body></html>\n'
    seen: list[list[tuple[bytes, bytes]]] = []

    async def app(scope: dict, receive: object, send: Callable[[dict], Any]) -> None:
        seen.append(scope["headers"])
        head = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": [*head, (b"etag", b'"t"')]})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else page})

    live = Live(load_messages(("da", "en")), problem=lambda lang: f"report in {lang}: data/tiny.ttl:42")
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/x.en.html", "headers": headers}
    asyncio.run(Banner(app, live=live)(scope, None, send))  # type: ignore[arg-type]
    return dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:]), seen


def test_the_banner_goes_after_body_and_the_page_is_not_cached() -> None:
    head, body, seen = _through_banner("GET", [(b"if-none-match", b'"t"'), (b"accept", b"text/html")])
    document = html5lib.parse(body, namespaceHTMLElements=False)
    banner = _banner(document)
    assert banner is not None and banner.get("lang") == "en"
    assert "report in en: data/tiny.ttl:42" in "".join(banner.itertext())
    assert body.index(b'id="preview-problem"') > body.index(b'<body class="x">')
    assert head[b"content-length"] == str(len(body)).encode() and head[b"cache-control"] == b"no-store"
    assert b"etag" not in head
    assert seen == [[(b"accept", b"text/html")]]  # no 304 for the copy without the banner


def test_a_head_request_keeps_its_headers() -> None:
    head, body, _ = _through_banner("HEAD", [])
    assert body == b"" and head[b"content-length"] != b"0"


class _KillAfterSending:
    """The builder's pipe, killing the builder process as soon as a rebuild is asked for."""

    def __init__(self, connection: Any, pid: int) -> None:
        self.connection, self.pid = connection, pid

    def send_bytes(self, body: bytes) -> None:
        self.connection.send_bytes(body)
        os.kill(self.pid, signal.SIGKILL)

    def recv(self) -> object:
        return self.connection.recv()

    def close(self) -> None:
        self.connection.close()


def test_rebuilds_run_in_a_builder_process_whose_death_leaves_the_site_served(tmp_path: Path) -> None:
    """serve --watch rebuilds in a process of its own (forked warm before the server's threads
    start, so it may fork its helpers as a build does); Ctrl-C is the server's to handle; a
    builder killed mid-rebuild publishes nothing, is reported with its signal, and the next
    change starts a new one."""
    from publish.config import load_config
    from publish.watch import Watcher

    project = make_tiny(tmp_path / "project")
    data, site = project / "data" / "tiny.ttl", project / "site"
    said: list[str] = []
    watcher = Watcher(load_config(project), lang="en", echo=said.append)
    assert watcher.rebuild() is not None  # the first build, in this process
    watcher.builder.start()
    try:
        builder = watcher.builder._process
        assert builder is not None and builder.pid != os.getpid()
        os.kill(builder.pid, signal.SIGINT)  # as Ctrl-C in the terminal: the server stops it
        _edit(data, LABEL, '"Ministeren"@da')
        assert watcher.rebuild_elsewhere(), said[-1]
        assert watcher.builder._process is builder and builder.is_alive()
        assert '"Ministeren"@da' in (site / "dataset.ttl").read_text(encoding="utf-8")
        assert said[-1].endswith("serving the new site.") and "Wrote" in said[-1]

        before = hashes(site)
        watcher.builder._connection = _KillAfterSending(watcher.builder._connection, builder.pid)
        _edit(data, '"Ministeren"@da', LABEL)
        assert not watcher.rebuild_elsewhere()
        assert "The rebuild stopped before it ended: it was stopped by SIGKILL" in said[-1]
        assert "still serving the previous site" in said[-1] and "Traceback" not in said[-1]
        assert watcher.live.problem is not None and "SIGKILL" in watcher.live.problem("da")
        assert hashes(site) == before

        # The next change: a new builder; with the server's threads running, a new interpreter.
        idle = threading.Event()
        server = threading.Thread(target=idle.wait, name="the server")
        server.start()
        try:
            assert watcher.rebuild_elsewhere(), said[-1]
        finally:
            idle.set()
            server.join()
        assert type(watcher.builder._process).__name__ == "SpawnProcess"
        assert watcher.builder._process is not builder and watcher.live.problem is None
        assert LABEL in (site / "dataset.ttl").read_text(encoding="utf-8")
        replacement = watcher.builder._process
    finally:
        watcher.close()
    assert not builder.is_alive() and not replacement.is_alive() and watcher.builder._process is None
