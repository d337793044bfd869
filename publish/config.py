"""Read ``[tool.klyngedata]`` from a project's pyproject.toml into a frozen, typed config.

Every problem is collected and reported at once, so a user fixes the file in one pass.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError, UsageError
from .i18n import Messages, load_messages
from .uris import Uris

PYPROJECT = "pyproject.toml"
_LANG = re.compile(r"^[a-z]{2,3}$")
_REQUIRED_LANGUAGES = ("da", "en")
# The SHACL engines (publish/shacl.py runs them) and the distribution of each: pyshacl-turbo,
# the default, and pySHACL, the reference.
SHACL_ENGINES = {"turbo": "pyshacl-turbo", "pyshacl": "pyshacl"}
DEFAULT_SHACL_ENGINE = "turbo"


@dataclass(frozen=True, slots=True)
class Config:
    """The settings of one klyngedata project."""

    project_dir: Path
    base_iri: str
    output: Path
    languages: tuple[str, ...]
    ontology_dir: Path
    data_dir: Path
    shapes_dir: Path
    source_date_epoch: int | None
    query_timeout: float = 5.0
    max_rows: int = 10_000
    sparql_workers: int = 2
    query_cache: int = 1000
    sparql_endpoint: str = ""
    issued: date | None = None
    dataset_version: str | None = None
    max_literal_length: int = 100_000
    max_list_length: int = 1_000
    max_nesting_depth: int = 32
    max_query_length: int = 65_536
    max_query_depth: int = 64
    max_request_body: int = 1_048_576
    max_url_length: int = 16_384
    request_read_timeout: float = 10.0
    worker_memory: int = 512
    sparql_reserve_timeout: float = 1.0
    sparql_inline_cost: int = 1_000_000
    sparql_inline_wait: float = 0.05
    query_cache_bytes: int = 33_554_432
    page_cache_bytes: int = 67_108_864
    allow_unsandboxed: bool = False
    build_lock_timeout: float = 60.0
    write_threads: int = 4
    build_processes: int = 2
    messages_dir: Path | None = None
    shacl_engine: str = DEFAULT_SHACL_ENGINE

    @property
    def default_language(self) -> str:
        """Return the language of the primary text (the first configured one)."""
        return self.languages[0]

    def language(self, lang: str | None) -> str:
        """Return ``lang`` (None: the primary language) if it is configured, else raise a UsageError."""
        if lang is None:
            return self.default_language
        if lang not in self.languages:
            raise UsageError(
                f"{lang!r} is not a configured language; choose one of: {', '.join(self.languages)}"
                " (the config's languages)",
                parameter="lang",
            )
        return lang

    @property
    def uris(self) -> Uris:
        """Return the one builder of this project's IRIs, site paths and URLs."""
        return Uris(self.base_iri, self.languages, self.sparql_endpoint)

    @property
    def messages(self) -> Messages:
        """Return the interface text of every configured language (the project's files over the package's)."""
        return load_messages(self.languages, self.messages_dir)


# key -> (default, description); the README documents every key (a test checks it).
KEYS: dict[str, tuple[object, str]] = {
    "base_iri": (None, "Base IRI of every published resource; http(s), ends with '/'."),
    "output": ("site", "Folder the site is built into, relative to the project."),
    "languages": (["da", "en"], "Languages of labels and texts; the first is the primary."),
    "ontology_dir": ("ontology", "Folder with the ontology's Turtle files."),
    "data_dir": ("data", "Folder with the data's Turtle files."),
    "shapes_dir": ("shapes", "Folder with the SHACL shapes' Turtle files."),
    "query_timeout": (5.0, "Seconds a SPARQL query may run on the server; a request may lower it."),
    "max_rows": (10_000, "Rows (or triples) a server query returns at most; a request may lower it."),
    "sparql_workers": (2, "Worker processes answering SPARQL queries in parallel."),
    "query_cache": (1000, "Answers to repeated SPARQL requests kept in memory; 0 turns the cache off."),
    "sparql_endpoint": (None, "Public URL of the SPARQL endpoint (catalogue); default <base_iri>sparql."),
    "issued": (None, "Date the dataset was first published (ISO 8601): the catalogue's dct:issued."),
    "dataset_version": (None, "Version of the published dataset: the catalogue's dcat:version."),
    "max_literal_length": (100_000, "Characters a literal of the sources may hold; a longer one is refused."),
    "max_list_length": (1_000, "Items an RDF list of the sources may hold; a longer one is refused."),
    "max_nesting_depth": (32, "How deep blank nodes (and lists in lists) may nest in the sources."),
    "max_query_length": (65_536, "Characters a SPARQL query may have; a longer one is refused (400)."),
    "max_query_depth": (64, "How deep brackets may nest in a SPARQL query; checked before any parser."),
    "max_request_body": (1_048_576, "Bytes a request body may have; a larger one gets 413."),
    "max_url_length": (16_384, "Bytes a request target (path and query string) may have; longer gets 414."),
    "request_read_timeout": (10.0, "Seconds a client has to send a request's head, and again its body."),
    "worker_memory": (512, "MiB of heap each SPARQL worker may use; a query needing more is stopped."),
    "sparql_reserve_timeout": (
        1.0,
        "Time limit in the reserve worker, used while all others are busy; 0: none.",
    ),
    "sparql_inline_cost": (
        1_000_000,
        "Largest proven cost bound of a query the server answers itself, not in a worker; 0: none.",
    ),
    "sparql_inline_wait": (
        0.05,
        "Seconds a query waits for the server's own query thread (busy that long: held) before a worker.",
    ),
    "query_cache_bytes": (33_554_432, "Bytes of query text and answers the SPARQL answer cache may hold."),
    "page_cache_bytes": (67_108_864, "Bytes of site files the server keeps in memory."),
    "allow_unsandboxed": (False, "Run SPARQL workers even where seccomp cannot cut them off the network."),
    "build_lock_timeout": (60.0, "Seconds a build waits for another build writing beside the same output."),
    "write_threads": (4, "Threads that write a build's files to disk while the next ones are made."),
    "build_processes": (2, "Processes that make a build's files: 2 makes part of them in a forked child."),
    "messages_dir": (None, "Folder with the project's message files (<lang>.toml), laid over the package's."),
    "shacl_engine": (
        DEFAULT_SHACL_ENGINE,
        "SHACL engine of the data check: 'turbo' (pyshacl-turbo) or 'pyshacl' (the reference).",
    ),
}


def load_config(project_dir: Path, *, output: Path | None = None) -> Config:
    """Read and check ``[tool.klyngedata]`` in ``project_dir/pyproject.toml``."""
    path = project_dir / PYPROJECT
    where = str(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [f"no {PYPROJECT} here; run klyngedata in the project folder or name the project folder"],
            file=where,
            parameter="project",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], file=where) from None
    table = document.get("tool", {}).get("klyngedata")
    if not isinstance(table, dict):
        raise ConfigError(["the table [tool.klyngedata] is missing; add it with base_iri"], file=where)
    return parse_table(table, project_dir=project_dir, output=output, file=where, env=os.environ)


def parse_table(
    table: Mapping[str, Any],
    *,
    project_dir: Path,
    output: Path | None,
    file: str,
    env: Mapping[str, str],
) -> Config:
    """Check every value of the table and the environment; raise one error listing all problems."""
    problems: list[str] = []
    for key in sorted(set(table) - set(KEYS)):
        problems.append(f"Config key '{key}': unknown; known keys are {', '.join(KEYS)}")

    base_iri = _check_base_iri(table.get("base_iri"), problems)
    languages = _check_languages(table.get("languages", KEYS["languages"][0]), problems)
    folders = {
        key: _check_folder(key, table.get(key, KEYS[key][0]), problems)
        for key in ("output", "ontology_dir", "data_dir", "shapes_dir")
    }
    epoch = _check_epoch(env.get("SOURCE_DATE_EPOCH"), problems)
    timeout = _check_positive("query_timeout", table.get("query_timeout", 5.0), float, problems)
    max_rows = int(_check_positive("max_rows", table.get("max_rows", 10_000), int, problems))
    workers = int(_check_positive("sparql_workers", table.get("sparql_workers", 2), int, problems))
    cache = table.get("query_cache", 1000)
    if isinstance(cache, bool) or not isinstance(cache, int) or cache < 0:
        problems.append(f"Config value 'query_cache': must be a whole number ≥ 0, got {cache!r}")
    endpoint = _check_endpoint(table.get("sparql_endpoint"), problems)
    issued = _check_date("issued", table.get("issued"), problems)
    version = _check_text("dataset_version", table.get("dataset_version"), problems)
    limits = {
        key: int(_check_positive(key, table.get(key, KEYS[key][0]), int, problems))
        for key in ("max_literal_length", "max_list_length", "max_nesting_depth")
    }
    serving = _check_serving(table, problems)
    messages_dir = table.get("messages_dir")
    if messages_dir is not None:
        messages_dir = _check_folder("messages_dir", messages_dir, problems)
    engine = table.get("shacl_engine", KEYS["shacl_engine"][0])
    if not isinstance(engine, str) or engine not in SHACL_ENGINES:
        problems.append(
            f"Config value 'shacl_engine': must be one of {', '.join(SHACL_ENGINES)}, got {engine!r}"
        )
    lock_wait = _check_positive("build_lock_timeout", table.get("build_lock_timeout", 60.0), float, problems)
    writers = int(_check_positive("write_threads", table.get("write_threads", 4), int, problems))
    processes = int(_check_positive("build_processes", table.get("build_processes", 2), int, problems))
    if problems:
        raise ConfigError(problems, file=file)
    root = project_dir.resolve()
    folder = root / messages_dir if messages_dir is not None else None
    try:  # a language without text, or a bad message file, is a config error
        load_messages(languages, folder)
    except ConfigError as exc:
        raise ConfigError(list(exc.problems), file=file, parameter="messages_dir") from None
    return Config(
        project_dir=root,
        base_iri=base_iri,
        output=(output if output is not None else root / folders["output"]).resolve(),
        languages=languages,
        ontology_dir=root / folders["ontology_dir"],
        data_dir=root / folders["data_dir"],
        shapes_dir=root / folders["shapes_dir"],
        source_date_epoch=epoch,
        query_timeout=float(timeout),
        max_rows=max_rows,
        sparql_workers=workers,
        query_cache=cache if isinstance(cache, int) else 0,
        sparql_endpoint=endpoint,
        issued=issued,
        dataset_version=version,
        max_literal_length=limits["max_literal_length"],
        max_list_length=limits["max_list_length"],
        max_nesting_depth=limits["max_nesting_depth"],
        messages_dir=folder,
        build_lock_timeout=lock_wait,
        write_threads=writers,
        build_processes=processes,
        shacl_engine=str(engine),
        **serving,  # type: ignore[arg-type]
    )


_SERVING_INTS = (
    "max_query_length",
    "max_query_depth",
    "max_request_body",
    "max_url_length",
    "worker_memory",
    "query_cache_bytes",
    "page_cache_bytes",
)


def _check_serving(table: Mapping[str, Any], problems: list[str]) -> dict[str, object]:
    """Check the server's limits: whole numbers, seconds, and the sandbox switch."""
    found: dict[str, object] = {
        key: int(_check_positive(key, table.get(key, KEYS[key][0]), int, problems)) for key in _SERVING_INTS
    }
    found["request_read_timeout"] = _check_positive(
        "request_read_timeout", table.get("request_read_timeout", 10.0), float, problems
    )
    reserve = table.get("sparql_reserve_timeout", 1.0)
    if isinstance(reserve, bool) or not isinstance(reserve, int | float) or reserve < 0:
        problems.append(f"Config value 'sparql_reserve_timeout': must be seconds ≥ 0, got {reserve!r}")
        reserve = 1.0
    found["sparql_reserve_timeout"] = float(reserve)
    cost = table.get("sparql_inline_cost", KEYS["sparql_inline_cost"][0])
    if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
        problems.append(f"Config value 'sparql_inline_cost': must be a whole number ≥ 0, got {cost!r}")
        cost = 0
    found["sparql_inline_cost"] = cost
    found["sparql_inline_wait"] = _check_positive(
        "sparql_inline_wait", table.get("sparql_inline_wait", 0.05), float, problems
    )
    allow = table.get("allow_unsandboxed", False)
    if not isinstance(allow, bool):
        problems.append(f"Config value 'allow_unsandboxed': must be true or false, got {allow!r}")
        allow = False
    found["allow_unsandboxed"] = allow
    return found


def _check_base_iri(value: object, problems: list[str]) -> str:
    if value is None:
        problems.append("Config value 'base_iri': required, e.g. 'https://data.example.dk/klynger/'")
        return ""
    if not isinstance(value, str):
        problems.append(f"Config value 'base_iri': must be a string, got {value!r}")
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"Config value 'base_iri': must be an http(s) IRI, got {value!r}")
    elif not value.endswith("/"):
        problems.append(f"Config value 'base_iri': must end with '/', got {value!r}")
    elif parts.query or parts.fragment or any(c in value for c in ' <>"{}|\\^`'):
        problems.append(f"Config value 'base_iri': no query, fragment or spaces, got {value!r}")
    elif value != value.lower():
        problems.append(f"Config value 'base_iri': must be lower-case, got {value!r}")
    return value


def _check_languages(value: object, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"Config value 'languages': must be a list of language codes, got {value!r}")
        return _REQUIRED_LANGUAGES
    bad = [v for v in value if not _LANG.match(v)]
    if bad:
        problems.append(f"Config value 'languages': not lower-case ISO 639 codes: {bad!r}")
    missing = [lang for lang in _REQUIRED_LANGUAGES if lang not in value]
    if missing:
        problems.append(f"Config value 'languages': must include {missing!r}, got {value!r}")
    if len(set(value)) != len(value):
        problems.append(f"Config value 'languages': duplicates in {value!r}")
    return tuple(value)


def _check_folder(key: str, value: object, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"Config value '{key}': must be a folder name, got {value!r}")
        return "."
    return value


def _check_positive(key: str, value: object, kind: type, problems: list[str]) -> float:
    wrong_kind = kind is int and not isinstance(value, int)
    if isinstance(value, bool) or not isinstance(value, int | float) or wrong_kind:
        problems.append(f"Config value '{key}': must be a positive {kind.__name__}, got {value!r}")
        return 1
    if value <= 0:
        problems.append(f"Config value '{key}': must be positive, got {value!r}")
        return 1
    return float(value)


def _check_endpoint(value: object, problems: list[str]) -> str:
    """Return the configured public endpoint URL, or "" for the default (Uris.sparql decides)."""
    if value is None:
        return ""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or " " in str(value):
        problems.append(f"Config value 'sparql_endpoint': must be an http(s) URL, got {value!r}")
        return ""
    return str(value)


def _check_date(key: str, value: object, problems: list[str]) -> date | None:
    if value is None:
        return None
    if type(value) is date:  # a TOML date; a TOML date-time is a datetime, not a date
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(f"Config value '{key}': must be a date like 2026-11-22, got {value!r}")
    return None


def _check_text(key: str, value: object, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        problems.append(f"Config value '{key}': must be a non-empty string, got {value!r}")
        return None
    return value


def _check_epoch(value: str | None, problems: list[str]) -> int | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"[0-9]+", value):
        problems.append(f"Environment SOURCE_DATE_EPOCH: must be whole seconds, got {value!r}")
        return None
    return int(value)
