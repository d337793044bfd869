"""Lexical forms of the XML Schema datatypes klyngedata publishes (XSD 1.1 Part 2, section 3).

A literal whose lexical form is outside its datatype's lexical space is refused at load time,
whether or not a shape looks at it: pages spell dates out, and every RDF format would publish
an ill-typed literal. Values are checked as written (no whitespace collapsing). Also here: the
characters no literal or IRI may hold (:data:`FORBIDDEN`), shared by the input and output checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

XSD = "http://www.w3.org/2001/XMLSchema#"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_TZ = r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"-?([1-9][0-9]{3,}|0[0-9]{3})"
_DECIMAL = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_DATE = re.compile(rf"(?P<y>{_YEAR})-(?P<m>[0-9]{{2}})-(?P<d>[0-9]{{2}}){_TZ}")
_DATETIME = re.compile(
    rf"(?P<y>{_YEAR})-(?P<m>[0-9]{{2}})-(?P<d>[0-9]{{2}})"
    rf"T(?P<h>[0-9]{{2}}):(?P<min>[0-5][0-9]):(?P<s>[0-5][0-9](\.[0-9]+)?){_TZ}"
)
_TIME = re.compile(rf"(?P<h>[0-9]{{2}}):(?P<min>[0-5][0-9]):(?P<s>[0-5][0-9](\.[0-9]+)?){_TZ}")
_IRI_EXCLUDED = re.compile(r'[\s<>"{}|\\^`]')


# Code points refused in every literal and IRI. C0 controls except tab, LF and CR; DEL and the C1
# block; the bidi embeddings/overrides (U+202A–202E) and isolates (U+2066–2069), which can make
# a page show text in another order than it is stored; U+FFFE and U+FFFF (not XML characters).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def describe_char(char: str) -> str:
    """Name a refused character the way a reader can find it (U+202E, not an invisible glyph)."""
    names = {"\x00": "NUL", "\u202e": "RIGHT-TO-LEFT OVERRIDE", "\u202d": "LEFT-TO-RIGHT OVERRIDE"}
    return f"U+{ord(char):04X}" + (f" ({names[char]})" if char in names else "")


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


def _date(value: str) -> bool:
    match = _DATE.fullmatch(value)
    return match is not None and _day_ok(match["y"], match["m"], match["d"])


def _datetime(value: str) -> bool:
    match = _DATETIME.fullmatch(value)
    if match is None or not _day_ok(match["y"], match["m"], match["d"]):
        return False
    return _time_ok(match["h"], match["min"], match["s"])


def _time(value: str) -> bool:
    match = _TIME.fullmatch(value)
    return match is not None and _time_ok(match["h"], match["min"], match["s"])


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _day_ok(year: str, month: str, day: str) -> bool:
    if not 1 <= int(month) <= 12:
        return False
    # XSD 1.1 counts 1 BCE as year 0000, so the proleptic leap-year rule applies to the number.
    number = int(year)
    leap = number % 4 == 0 and (number % 100 != 0 or number % 400 == 0)
    days = _DAYS[int(month) - 1] + (1 if int(month) == 2 and leap else 0)
    return 1 <= int(day) <= days


def _time_ok(hour: str, minute: str, second: str) -> bool:
    return int(hour) < 24 or (hour == "24" and minute == "00" and float(second) == 0)


def _gyearmonth(value: str) -> bool:
    match = re.fullmatch(rf"{_YEAR}-(?P<m>[0-9]{{2}}){_TZ}", value)
    return match is not None and 1 <= int(match["m"]) <= 12


def _any_uri(value: str) -> bool:
    return _IRI_EXCLUDED.search(value) is None


# datatype IRI -> (accepts the lexical form, the expected form in words for the message)
DATATYPES: dict[str, tuple[Callable[[str], bool], str]] = {
    XSD + "boolean": (_pattern(r"true|false|1|0"), "true, false, 1 or 0"),
    XSD + "integer": (_pattern(r"[+-]?[0-9]+"), 'a whole number such as "42"'),
    XSD + "nonNegativeInteger": (_pattern(r"\+?[0-9]+|-0+"), 'a whole number ≥ 0 such as "10"'),
    XSD + "positiveInteger": (_pattern(r"\+?0*[1-9][0-9]*"), 'a whole number ≥ 1 such as "1"'),
    XSD + "decimal": (_pattern(_DECIMAL), 'a decimal number such as "3.14"'),
    XSD + "double": (
        _pattern(rf"{_DECIMAL}([eE][+-]?[0-9]+)?|[+-]?INF|NaN"),
        'a floating-point number such as "1.5E3"',
    ),
    XSD + "float": (
        _pattern(rf"{_DECIMAL}([eE][+-]?[0-9]+)?|[+-]?INF|NaN"),
        'a floating-point number such as "1.5E3"',
    ),
    XSD + "date": (_date, 'a calendar date YYYY-MM-DD such as "2020-03-05"'),
    XSD + "dateTime": (_datetime, 'a date and time such as "2020-03-05T12:00:00Z"'),
    XSD + "time": (_time, 'a time such as "12:00:00"'),
    XSD + "gYear": (_pattern(rf"{_YEAR}{_TZ}"), 'a year YYYY such as "2020"'),
    XSD + "gYearMonth": (_gyearmonth, 'a year and month YYYY-MM with month 01–12, such as "2020-12"'),
    XSD + "anyURI": (_any_uri, 'an IRI without spaces or any of < > " { } | \\ ^ `'),
}

# Datatypes derived by restriction: a value of the key is also a value of each listed type.
_DERIVED: dict[str, tuple[str, ...]] = {
    XSD + "positiveInteger": (XSD + "nonNegativeInteger", XSD + "integer", XSD + "decimal"),
    XSD + "nonNegativeInteger": (XSD + "integer", XSD + "decimal"),
    XSD + "integer": (XSD + "decimal",),
}


def check_lexical(datatype: str, value: str) -> str | None:
    """Return None if ``value`` is in the lexical space of ``datatype``, else the expected form."""
    accepts, expected = DATATYPES[datatype]
    return None if accepts(value) else expected


def subsumes(expected: str, actual: str) -> bool:
    """Tell whether a literal of datatype ``actual`` is a value of datatype ``expected``."""
    return actual == expected or expected in _DERIVED.get(actual, ())
