"""The bad-data cases of ``tests/projects/bad-data.toml`` and how to apply one to a project copy."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

CASES: dict[str, dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent / "projects" / "bad-data.toml").read_text(encoding="utf-8")
)


def edit(project: Path, case: dict[str, Any]) -> None:
    """Make the edit a case describes (bad-data.toml): remove, write, old/new, append, prepend."""
    if "remove" in case:
        target = project / case["remove"]
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    if not {"write", "old", "append", "prepend"} & set(case):
        return
    path = project / case["file"]
    if "write" in case:
        path.write_bytes(case["write"].encode(case.get("encoding", "utf-8")))
        return
    text = path.read_text(encoding="utf-8")
    if "old" in case:
        assert text.count(case["old"]) == 1, f"{case['file']} changed: the edit no longer applies"
        text = text.replace(case["old"], case["new"])
    text = case.get("prepend", "") + text + case.get("append", "")
    path.write_bytes(text.encode("utf-8"))
