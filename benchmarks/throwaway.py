"""A throwaway data folder and database for benchmarks: no benchmark ever touches the served data.

Every benchmark that starts the app or reads layers gets them from here. The default layers are
built from the shipped sources into a temporary folder (or copied there from a folder named on
the command line, which is only read), the database is a SQLite file beside them, and both are
removed afterwards — whatever ``SEI_ATLAS_DATA_DIR``, ``SEI_ATLAS_DATABASE_URL`` or a config
file say.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parks.build import build_data


@contextmanager
def throwaway_data(copy_from: Path | str | None = None) -> Iterator[Path]:
    """A temporary data folder: the shipped layers built afresh, or a copy of ``copy_from``'s
    ``shapefiles/`` and ``layers/``."""
    with tempfile.TemporaryDirectory(prefix="sei-bench-") as tmp:
        data = Path(tmp) / "data"
        if copy_from is None:
            build_data(data / "shapefiles")
        else:
            for part in ("shapefiles", "layers"):
                if (Path(copy_from) / part).is_dir():
                    shutil.copytree(Path(copy_from) / part, data / part)
        yield data


def app_on(data: Path, config: dict | None = None, *, database_url: str | None = None):
    """The app on ``data``, a :func:`throwaway_data` folder, with a SQLite database beside it
    (or ``database_url``: a throwaway PostgreSQL schema, as ``tests/conftest.py``'s
    ``fresh_schema`` makes). ``config`` adds settings; it cannot name another data folder."""
    from app import create_app

    app = create_app({"REQUEST_LOG": "", **(config or {}), "DATA_DIR": str(data),
                      "DATABASE_URL": database_url or f"sqlite:///{data.parent / 'bench.db'}"})
    app.instance_path = str(data.parent / "instance")
    return app


@contextmanager
def throwaway_app(config: dict | None = None, copy_from: Path | str | None = None):
    """The app on a :func:`throwaway_data` folder and a fresh SQLite database (``config``
    adds settings; it cannot name another data folder or database)."""
    with throwaway_data(copy_from) as data:
        app = app_on(data, config)
        try:
            yield app
        finally:
            app.extensions["atlas_db"].dispose()
