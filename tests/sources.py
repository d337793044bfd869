"""What the source pages in ``data/sources`` (and their README) say, parsed for the tests.

The expected values of the data, page and query tests come from here, never from the data's
Turtle files: the Board's page gives the areas, objectives, cluster organisations, focal points
and tourism's supported points; Cluster Excellence Denmark's page gives the notion of a cluster;
the README gives the facts from other public sources (areas in page order, MARLOG, dates,
English terms, the two typo corrections).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from conftest import BASE, SOURCES

BOARD_PAGE = SOURCES / "000_719fd82726b97dfc.txt"
CED_PAGE = SOURCES / "004_3c9d6c637c182e3a.txt"
README = SOURCES / "README.md"

BOARD = f"{BASE}id/organisation/danmarks-erhvervsfremmebestyrelse"
MINISTER = f"{BASE}id/organisation/uddannelses-og-forskningsministeren"
STRATEGY = f"{BASE}id/strategy/erhvervsfremme-i-danmark-2020-2023"


# ---------------------------------------------------------------- reading the sources


def norm(text: str) -> str:
    """Collapse every run of whitespace (U+00A0 included) to one space and strip."""
    return " ".join(text.split())


@dataclass
class PageArea:
    """One business and technology area as the Board's page lists it."""

    name: str
    opening: str
    by_minister: bool
    blocks: list[tuple[str, list[str]]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    cluster: str | None = None

    def bullets(self, lead_in_start: str) -> tuple[str, list[str]] | None:
        """Return (lead-in, bullets) of the block whose lead-in starts with ``lead_in_start``."""
        found = [block for block in self.blocks if block[0].startswith(lead_in_start)]
        assert len(found) <= 1, self.name
        return found[0] if found else None

    @property
    def objectives(self) -> list[str]:
        """Return the bullets listed under "Klyngeindsats …:" (none when there is no such list)."""
        block = self.bullets("Klyngeindsats")
        return block[1] if block else []


@dataclass
class BoardPage:
    """What the Board's page says, parsed."""

    lines: list[str]
    intro: list[str]
    focal_points: list[str]
    areas: list[PageArea]

    def area(self, name: str) -> PageArea:
        """Return the area with this Danish name."""
        (found,) = [area for area in self.areas if area.name == name]
        return found

    def line_starting(self, start: str) -> str:
        """Return the one line that starts with ``start``."""
        (found,) = [line for line in self.lines if line.startswith(start)]
        return found


_OPENS_AREA = re.compile(
    r"^(?P<name>[^.•]+?) (?:dækker|(?P<minister>er udpeget af uddannelses- og forskningsministeren))"
)


@cache
def readme() -> str:
    """Return the sources README, whitespace collapsed."""
    return norm(README.read_text(encoding="utf-8"))


def readme_match(pattern: str) -> re.Match[str]:
    """Return the one match of ``pattern`` in the README (fails loudly if the README changed)."""
    match = re.search(pattern, readme())
    assert match, f"sources README no longer says {pattern!r}"
    return match


@cache
def board_page() -> BoardPage:
    """Parse the Board's page: intro, the four sigtelinjer, and the areas with their lists."""
    lines = [norm(line) for line in BOARD_PAGE.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    headless = readme_match(r'paragraph beginning "([^"]+)" belongs to the area \*([^*]+)\*')
    intro = lines[1 : lines.index("Klynger Fire sigtelinjer i klyngeindsatsen")]
    start = next(i for i, line in enumerate(lines) if line.endswith("fire sigtelinjer:")) + 1
    focal_points = []
    while lines[start].startswith("•"):
        focal_points.append(lines[start].removeprefix("•").strip())
        start += 1
    areas: list[PageArea] = []
    after_cluster_heading = False
    for line in lines[start:]:
        opens = _OPENS_AREA.match(line)
        if line.startswith(headless.group(1)):
            areas.append(PageArea(headless.group(2), line, by_minister=False))
        elif opens and not line.startswith("•"):
            areas.append(PageArea(opens.group("name"), line, by_minister=bool(opens.group("minister"))))
        elif not areas:
            continue
        elif line == "Erhvervsfremme i Danmark 2020-2023":
            break
        elif line == "Udpeget klyngeorganisation":
            after_cluster_heading = True
        elif after_cluster_heading:
            areas[-1].cluster, after_cluster_heading = line, False
        elif line.startswith("•"):
            areas[-1].blocks[-1][1].append(line.removeprefix("•").strip())
        elif line.endswith(":"):
            areas[-1].blocks.append((line, []))
        else:
            areas[-1].paragraphs.append(line)
    return BoardPage(lines, intro, focal_points, areas)


@cache
def typo_corrections() -> tuple[tuple[str, str], ...]:
    """Return the README's (as published, corrected) pairs."""
    section = readme_match(r"\*\*Typos in the source\*\*:(.*)").group(1)
    pairs = tuple(re.findall(r'"([^"]+)" (?:means|reads) "([^"]+)"', section))
    assert len(pairs) == 2, pairs
    return pairs


def corrected(text: str) -> str:
    """Apply the README's typo corrections to a text as published."""
    for published, fixed in typo_corrections():
        text = text.replace(published, fixed)
    return text


def readme_areas() -> tuple[list[str], list[str], list[str]]:
    """Return README §2's strongholds, Board-designated and Minister-designated emerging areas."""
    match = readme_match(
        r"- strongholds \(\d+\): (.+?) - emerging, designated by the Board \(\d+\): (.+?) "
        r"- emerging, designated by the Minister for Higher Education and Science \(\d+\): (.+?) The data"
    )
    strongholds, board, minister = (group.split("; ") for group in match.groups())
    return strongholds, board, minister


@cache
def marlog() -> tuple[str, str]:
    """Return the name and abbreviation of the maritime cluster organisation (README §4)."""
    match = readme_match(r"The designated organisation was \*([^*]+)\* \((\w+)\)")
    return match.group(1), match.group(2)


def english_date(text: str) -> str:
    """Return an English date, "2 October 2020" or "December 2020", in ISO form at its precision."""
    if text[0].isdigit():
        return datetime.strptime(text, "%d %B %Y").date().isoformat()
    return datetime.strptime(text, "%B %Y").date().isoformat()[:7]


def ced_page() -> list[str]:
    """Return the non-empty lines of Cluster Excellence Denmark's page, normalised."""
    lines = [norm(line) for line in CED_PAGE.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]
