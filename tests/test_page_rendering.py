"""The shortcuts of page rendering (publish/html.py) answer as jinja itself does.

Jinja's own Environment is the independent implementation: every expression renders the same
through the site's environment, whose attribute lookup skips the exception jinja raised for a
key of a plain dict.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
import pytest

from publish.html import _Environment


@dataclass(frozen=True, slots=True)
class _Thing:
    label: str
    lang: str | None = None


CONTEXT = {
    "d": {"a": "b", "items": "a key named like a method", "nested": {"x": "<y>"}},
    "thing": _Thing("label & more"),
    "things": [_Thing("one"), _Thing("two", "en")],
}


@pytest.mark.parametrize(
    "source",
    [
        "{{ d.a }}",
        "{{ d.nested.x }}",
        "{{ d['items'] }}",
        "{{ d.items is callable }}",
        "{% for k, v in d.items() %}{{ k }}={{ v is mapping }};{% endfor %}",
        "{{ d.missing is defined }}",
        "{{ thing.label }}{{ thing.lang is none }}",
        "{{ thing.missing is defined }}",
        "{% for t in things %}{{ t.label }}{% if t.lang %} ({{ t.lang }}){% endif %}{% endfor %}",
        "{{ things.0.label }}",
    ],
)
def test_the_site_environment_renders_as_jinja(source: str) -> None:
    options = {"autoescape": True, "undefined": jinja2.Undefined}
    expected = jinja2.Environment(**options).from_string(source).render(CONTEXT)  # type: ignore[arg-type]
    assert _Environment(**options).from_string(source).render(CONTEXT) == expected  # type: ignore[arg-type]


def test_a_missing_key_is_still_an_error_under_strict_undefined() -> None:
    strict = _Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    with pytest.raises(jinja2.UndefinedError):
        strict.from_string("{{ d.missing }}").render(CONTEXT)
