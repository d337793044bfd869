"""Interface text in every configured language: one message file per language.

The package ships ``publish/messages/<lang>.toml`` (Danish and English, the same keys in both).
A project adds a language, or changes wording, with files of its own in the folder the config
names as ``messages_dir``: a project's ``<lang>.toml`` is laid over the package's file of the
same language, key by key. Keys a language does not give fall back to English (the package's
``en.toml``), so a new language may start small; a key the package does not know is refused,
as it is most likely a typo.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError, UsageError

FALLBACK = "en"
# Tables whose keys are names from the data or the project (terms, languages, queries): any key goes.
_OPEN_TABLES = ("languages", "terms", "inverse", "queries")


@dataclass(frozen=True, slots=True)
class Messages:
    """The interface text of each language, fallbacks filled in, and what each file gave itself."""

    tables: Mapping[str, Mapping[str, Any]]
    own: Mapping[str, Mapping[str, Any]]

    @property
    def languages(self) -> tuple[str, ...]:
        """Return the languages with interface text, in the configured order."""
        return tuple(self.tables)

    def __getitem__(self, lang: str) -> Mapping[str, Any]:
        """Return the text table of one language (fallbacks filled in)."""
        try:
            return self.tables[lang]
        except KeyError:
            known = ", ".join(self.tables)
            raise UsageError(f"no interface text in {lang!r}; the configured languages are {known}") from None

    def native(self, lang: str, *keys: str) -> str | None:
        """Return one text only if ``lang``'s own file gives it (no fallback), else None."""
        node: Any = self.own.get(lang, {})
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node if isinstance(node, str) else None


def load_messages(languages: tuple[str, ...] = ("da", "en"), messages_dir: Path | None = None) -> Messages:
    """Return the interface text of ``languages``: package files, a project's files laid over them."""
    return _load(tuple(languages), messages_dir, _stamp(messages_dir))


def _stamp(folder: Path | None) -> tuple[tuple[str, int], ...]:
    """Return the names and modification times of a project's message files (a changed file is read again)."""
    if folder is None or not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.toml")))


@functools.lru_cache(maxsize=8)
def _load(
    languages: tuple[str, ...], messages_dir: Path | None, stamp: tuple[tuple[str, int], ...]
) -> Messages:
    """Read and merge the message files (``stamp`` only keys the cache: a changed file is read again)."""
    fallback = _package(FALLBACK) or {}
    own: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    if messages_dir is not None and not messages_dir.is_dir():
        problems.append(f"Config value 'messages_dir': no folder {messages_dir}")
    for lang in languages:
        table = _package(lang) or {}
        path = messages_dir / f"{lang}.toml" if messages_dir is not None else None
        if path is not None and path.is_file():
            table = _merge(table, _project_file(path), fallback, str(path), problems)
        elif not table:
            where = f"{messages_dir or '<messages_dir>'}/{lang}.toml"
            problems.append(
                f"Config value 'languages': no interface text in {lang!r}; write {where}"
                + ("" if messages_dir is not None else " and set messages_dir")
            )
        own[lang] = table
    if problems:
        raise ConfigError(problems, file="pyproject.toml")
    tables = {lang: _fill(table, fallback) for lang, table in own.items()}
    for table in tables.values():
        # Every page names every configured language: one without a name here is called by its own.
        names = table["languages"]
        for lang in languages:
            names.setdefault(lang, tables[lang]["language_name"])
    return Messages(tables, own)


def _package(lang: str) -> dict[str, Any] | None:
    entry = resources.files("publish").joinpath(f"messages/{lang}.toml")
    if not entry.is_file():
        return None
    return tomllib.loads(entry.read_text(encoding="utf-8"))


def _project_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"], file="pyproject.toml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read the message file ({exc})"], file="pyproject.toml") from None


def _merge(
    base: Mapping[str, Any],
    over: Mapping[str, Any],
    known: Mapping[str, Any] | None,
    file: str,
    problems: list[str],
) -> dict[str, Any]:
    """Lay ``over`` on ``base`` key by key; note keys the package's English file does not have.

    ``known`` is the English table at the same place; None inside an open table, where any key goes.
    """
    merged = dict(base)
    for key, value in over.items():
        if known is not None and key not in known:
            problems.append(f"{file}: unknown key {key!r} (the package's messages/en.toml has no such key)")
        elif isinstance(value, dict):
            inner = None if known is None or key in _OPEN_TABLES else known[key]
            if inner is not None and not isinstance(inner, dict):
                problems.append(f"{file}: {key!r} is a text in messages/en.toml, not a table")
                continue
            merged[key] = _merge(dict(base.get(key, {})), value, inner, file, problems)
        elif known is not None and isinstance(known[key], dict):
            problems.append(f"{file}: {key!r} is a table in messages/en.toml, not a text")
        else:
            merged[key] = value
    return merged


def _fill(table: Mapping[str, Any], fallback: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``table`` with every key it lacks taken from ``fallback`` (deeply)."""
    filled = {key: _copy(value) for key, value in table.items()}
    for key, value in fallback.items():
        if key not in filled:
            filled[key] = _copy(value)
        elif isinstance(value, dict) and isinstance(filled[key], dict):
            filled[key] = _fill(filled[key], value)
    return filled


def _copy(value: Any) -> Any:
    return {k: _copy(v) for k, v in value.items()} if isinstance(value, dict) else value
