"""Content-negotiation rules for static hosts: nginx and Apache give the answers ``serve`` gives.

``klyngedata serve`` negotiates in Python (:func:`publish.formats.negotiate`). A site copied to a
plain web server needs the same rules in the server's own language; they are generated here,
from the same format registry (:mod:`publish.formats`) and the same site paths
(:class:`publish.uris.Uris`), so they cannot drift from ``serve``. The markup of the rules is
in ``templates/hosting/``.

Three files are written at the site root:

``nginx-maps.conf``
    ``map`` blocks; nginx allows them only in the ``http { }`` context.
``nginx.conf``
    the locations; included inside the ``server { }`` whose ``root`` is the site folder.
``.htaccess``
    mod_rewrite and mod_headers rules for Apache httpd 2.4 (no mod_negotiation, no MultiViews).

Neither server can rank media ranges by q-value the way ``serve`` does, so both rank by how
specifically the Accept header names a format: a format named by its media type (level 3) beats
one covered by ``type/*`` (level 2), which beats one covered by ``*/*`` or by a missing header
(level 1); among equals the registry's order decides (HTML, Turtle, JSON-LD, N-Triples,
RDF/XML). ``q=0`` at the most specific range that covers a format refuses it, as in ``serve``.
The answers are the same as ``serve``'s whenever the format with the highest q is also the
most specifically named one and, among several with that q, the first in that order — true
for browsers, curl, and every client that names one RDF format or names several at one q.
Accept-Language picks the first listed of our languages (``q=0`` refuses one), not the highest q.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

import jinja2

from .artifact import Artifact
from .config import Config
from .formats import HTML, Format, media_type_of, resource_formats, site_types
from .uris import GONE_FOLDER, IMMUTABLE_FOLDERS

NGINX_MAPS = PurePosixPath("nginx-maps.conf")
NGINX_SERVER = PurePosixPath("nginx.conf")
HTACCESS = PurePosixPath(".htaccess")
# A site path that is never a file: the value of a try_files slot whose format is not wanted.
NOWHERE = "/.klyngedata-not-wanted"
# Levels of a format in the Accept header, most specific first (see the module docstring).
LEVELS = (3, 2, 1)
_TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Offer:
    """One negotiable format and the regular expressions that find it in an Accept header."""

    name: str
    suffix: str
    media_type: str
    names: str
    paged: bool
    listed: str
    refused: str
    range_listed: str
    range_refused: str


@dataclass(frozen=True, slots=True)
class Page:
    """The file suffix of the HTML page in one language (Danish ``html``, English ``en.html``)."""

    lang: str
    suffix: str


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything the templates need, taken from the tables in :mod:`publish.uris`."""

    offers: tuple[Offer, ...]
    any_listed: str
    any_refused: str
    pages: tuple[Page, ...]
    language: str
    types: tuple[tuple[str, str], ...]
    default_type: str
    void: str
    void_type: str
    text_type: str
    nowhere: str
    levels: tuple[int, ...]
    immutable: tuple[str, ...] = IMMUTABLE_FOLDERS  # folders whose files never change
    gone: str = GONE_FOLDER  # documents of things no longer published, answered with 410


def hosting_artifacts(config: Config) -> list[Artifact]:
    """Return the nginx and Apache rules for the site, without touching the disk."""
    return [*nginx_artifacts(config), htaccess_artifact(config)]


def nginx_artifacts(config: Config) -> list[Artifact]:
    """Return ``nginx-maps.conf`` (for ``http { }``) and ``nginx.conf`` (for ``server { }``)."""
    rules = make_rules(config)
    return [
        Artifact(NGINX_MAPS, _TEXT, _render("nginx-maps.conf.j2", rules)),
        Artifact(NGINX_SERVER, _TEXT, _render("nginx.conf.j2", rules)),
    ]


def htaccess_artifact(config: Config) -> Artifact:
    """Return the ``.htaccess`` with the same rules for Apache httpd 2.4."""
    return Artifact(HTACCESS, _TEXT, _render("htaccess.j2", make_rules(config)))


def make_rules(config: Config) -> Rules:
    """Return the format registry and the site's page paths as the templates use them."""
    uris = config.uris
    pages = tuple(Page(lang, _page_suffix(config, lang)) for lang in config.languages)
    offers = tuple(_offer(f, paged=f is HTML) for f in resource_formats())
    types = site_types()
    return Rules(
        offers=offers,
        any_listed=_listed(r"\*/\*"),
        any_refused=_refused(r"\*/\*"),
        pages=pages,
        language=_first_language(config.languages),
        types=types,
        default_type=media_type_of(""),
        void=str(uris.void_path),
        void_type=media_type_of(str(uris.void_path)),
        text_type=_TEXT,
        nowhere=NOWHERE,
        levels=LEVELS,
    )


def _page_suffix(config: Config, lang: str) -> str:
    """Return the suffix of a page in one language: ``html`` or ``en.html``."""
    return config.uris.page_path("index", lang).name.removeprefix("index.")


def _offer(fmt: Format, *, paged: bool) -> Offer:
    major = fmt.media_type.split("/", 1)[0]
    return Offer(
        name=re.sub(r"\W", "_", fmt.suffix),
        suffix=fmt.suffix,
        media_type=fmt.media_type,
        names="|".join(re.escape(name) for name in sorted(fmt.names)),
        paged=paged,
        listed=_listed(re.escape(fmt.media_type)),
        refused=_refused(re.escape(fmt.media_type)),
        range_listed=_listed(re.escape(major) + r"/\*"),
        range_refused=_refused(re.escape(major) + r"/\*"),
    )


def _listed(media_range: str) -> str:
    """Return a regex that finds a media range as an element of an Accept header."""
    return rf"(^|,)\s*{media_range}\s*(;|,|$)"


def _refused(media_range: str) -> str:
    """Return a regex that finds a media range with q=0 in an Accept header."""
    return rf"(^|,)\s*{media_range}\s*;([^,]*;)?\s*q\s*=\s*0(\.0*)?\s*(;|,|$)"


def _first_language(languages: tuple[str, ...]) -> str:
    """Return a regex whose group 1 (``kd_lang``) is the first of our languages listed without q=0."""
    tags = "|".join(re.escape(lang) for lang in languages)
    refused = r";[^,]*q\s*=\s*0(?:\.0*)?\s*(?:;|,|$)"
    return rf"^(?:[^,]*,)*?\s*(?P<kd_lang>{tags})(?:-[^,;]*)?\s*(?!{refused})(?:;|,|$)"


@cache
def _environment() -> jinja2.Environment:
    # Server configuration, not HTML: autoescaping would corrupt the regular expressions.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("publish", "templates/hosting"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(name: str, rules: Rules) -> bytes:
    return _environment().get_template(name).render(rules=rules).encode("utf-8")
