"""The installed package carries every file the code reads: ``pip install .`` (the README's main
command) installs only what ``[tool.setuptools.package-data]`` names, so a template, message or
vocabulary file outside its globs is missing from a real install while an editable one works."""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib

from conftest import ROOT


def test_package_data_names_every_file_of_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["publish"]
    tracked = subprocess.run(
        ["git", "ls-files", "publish"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    data = [path.removeprefix("publish/") for path in tracked if not path.endswith(".py")]
    # setuptools matches each glob within one folder level: "*" does not cross "/".
    missing = [
        path
        for path in data
        if not any(fnmatch.fnmatch(path, glob) and path.count("/") == glob.count("/") for glob in globs)
    ]
    assert data, "no package data found"
    assert missing == [], f"add these to [tool.setuptools.package-data] in pyproject.toml: {missing}"
