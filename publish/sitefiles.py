"""The site's files for hosts and crawlers: the stylesheet, ``sitemap.xml`` and ``robots.txt``.

Pure functions returning build artifacts; the markup is in ``templates/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import PurePosixPath

import jinja2

from .artifact import Artifact
from .formats import JAVASCRIPT, rdf_documents
from .uris import Uris

STYLESHEET = PurePosixPath("static/site.css")
# The query page's script: answers as tables, parameters as people type them (query.html.j2).
QUERY_SCRIPT = PurePosixPath("static") / JAVASCRIPT.path("query")


def files(env: jinja2.Environment, uris: Uris, stems: Sequence[str], epoch: int | None) -> list[Artifact]:
    """Return the stylesheet, the query page's script, the sitemap of these pages' stems, robots.txt."""
    return [stylesheet(), query_script(), sitemap(env, uris, stems, epoch), robots(env, uris)]


def stylesheet() -> Artifact:
    """Return the stylesheet."""
    css = resources.files("publish").joinpath(str(STYLESHEET)).read_bytes()
    return Artifact(STYLESHEET, "text/css; charset=utf-8", css)


def query_script() -> Artifact:
    """Return the query page's script (``static/query.js``), as the package holds it."""
    body = resources.files("publish").joinpath(str(QUERY_SCRIPT)).read_bytes()
    return Artifact(QUERY_SCRIPT, JAVASCRIPT.content_type, body)


def sitemap(env: jinja2.Environment, uris: Uris, stems: Sequence[str], epoch: int | None) -> Artifact:
    """Return sitemap.xml: every page in every configured language, each with its hreflang alternates."""
    pages = [
        [(code, uris.url(uris.page_path(stem, code))) for code in uris.languages] for stem in sorted(stems)
    ]
    lastmod = datetime.fromtimestamp(epoch, UTC).date().isoformat() if epoch else None
    # Portals and crawlers find the DCAT-AP catalogue here too (issue: announce the catalogue).
    catalogue = [uris.url(uris.site_file("catalog", f)) for f in rdf_documents()]
    body = env.get_template("sitemap.xml.j2").render(pages=pages, files=catalogue, lastmod=lastmod)
    return Artifact(PurePosixPath("sitemap.xml"), "application/xml", body.encode("utf-8"))


def robots(env: jinja2.Environment, uris: Uris) -> Artifact:
    """Return robots.txt, which points crawlers at the sitemap."""
    body = env.get_template("robots.txt.j2").render(sitemap=uris.url("sitemap.xml"))
    return Artifact(PurePosixPath("robots.txt"), "text/plain; charset=utf-8", body.encode("utf-8"))
