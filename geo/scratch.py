"""Temporary folders and files of one request's work: uploads read, downloads written.

They live in the system's temporary folder (:func:`tempfile.gettempdir`, ``TMPDIR``), never in
the data folder the app serves. Whoever makes one removes it when done; what a killed worker left
behind (older than :data:`STALE_S`) is removed by the next one made with the same prefix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: seconds after which a temporary folder or file is taken for one a killed worker left
STALE_S = 3600


def sweep_stale(prefix: str) -> None:
    """Remove the temporary folders and files named ``prefix…`` older than :data:`STALE_S`."""
    limit = time.time() - STALE_S
    for old in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            if old.lstat().st_mtime >= limit:
                continue
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink()
        except OSError:  # removed meanwhile by another worker
            continue


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder named ``prefix…``, removed afterwards whatever happens."""
    sweep_stale(prefix)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def keep(path: Path, prefix: str) -> Path:
    """Move ``path`` out of a :func:`scratch_folder` to a temporary file of its own, named
    ``prefix…``, that outlives the folder; the caller removes it. A rename: same disk."""
    handle, kept = tempfile.mkstemp(prefix=prefix, suffix=path.suffix)
    os.close(handle)
    try:
        os.replace(path, kept)
    except BaseException:
        os.unlink(kept)
        raise
    return Path(kept)
