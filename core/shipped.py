"""Where the files the app ships are: ``templates/``, ``static/`` and ``data/`` (sources and
default layers), read-only.

In a checkout they sit at the repository root; an installed wheel carries them as package data
of ``henan_sei_atlas_files`` beside our packages (``[tool.setuptools.package-dir]`` in
pyproject.toml), so the code and its files always come from the same place.
"""

from __future__ import annotations

from pathlib import Path

#: the installed copy of the repository's templates/, static/ and data/
PACKAGE = "henan_sei_atlas_files"


def shipped(*parts: str) -> Path:
    """``shipped("templates")``, ``shipped("data", "sources")``: the path of a shipped folder
    or file, in the installed copy when there is one, else in the checkout."""
    root = Path(__file__).resolve().parent.parent
    installed = root / PACKAGE
    return (installed if installed.is_dir() else root).joinpath(*parts)
