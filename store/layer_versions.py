"""Versioned layer sets with an atomic switch between them.

A Shapefile is several files, so replacing them one by one can never be atomic. Each import is
written instead as a complete, immutable version folder, and a one-line pointer file names the
version served::

    DATA_DIR/layers/<layer>/CURRENT            "20240501T120305Z-3fa2c1" (replaced by os.replace)
    DATA_DIR/layers/<layer>/<version>/<layer>.shp .shx .dbf .prj .cpg meta.json

A reader resolves the pointer once and then reads a folder that never changes, so it sees the
old set or the new one, never a mix. Without a pointer the layer's default file is served
(rebuilt or shipped). Old versions are kept, so any can be restored by switching the pointer
back.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd

POINTER = "CURRENT"
#: the journal entry of a switch whose transaction has not committed yet
JOURNAL = "SWITCHING"
META = "meta.json"
#: the pointer value that means "serve the layer's default file"
DEFAULT = "default"


def layer_dir(data_dir: Path | str, name: str) -> Path:
    return Path(data_dir) / "layers" / name


def current_version(data_dir: Path | str, name: str) -> str | None:
    """The version the pointer names, or None when the default layer is served."""
    try:
        value = (layer_dir(data_dir, name) / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return None if value in ("", DEFAULT) else value


def current_path(data_dir: Path | str, name: str) -> Path | None:
    """The ``.shp`` of the version served, or None for the default layer."""
    version = current_version(data_dir, name)
    return layer_dir(data_dir, name) / version / f"{name}.shp" if version else None


def _new_version_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def write_version(data_dir: Path | str, name: str, gdf: gpd.GeoDataFrame, meta: dict) -> str:
    """Write ``gdf`` (+ ``meta``) as a new version folder, complete before it gets its name.

    Nothing is served from it until :func:`switch` names it. Returns the version id.
    """
    with staged_version(data_dir, name, {"features": len(gdf), **meta}) as (tmp, version):
        out = gdf.copy()
        for col in out.columns:
            if col != "geometry" and out[col].dtype == object:
                out[col] = out[col].fillna("")
        out.to_file(tmp / f"{name}.shp", driver="ESRI Shapefile", encoding="UTF-8", engine="pyogrio")
    return version


@contextmanager
def staged_version(data_dir: Path | str, name: str, meta: dict) -> Iterator[tuple[Path, str]]:
    """A new version folder of ``name``: yields (hidden temporary folder, version id) to write
    the version's files into; when the block ends ``meta`` (which the block may still add to) is
    written and the folder renamed into place in one step. On an error nothing is left behind."""
    base = layer_dir(data_dir, name)
    base.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    version = _new_version_id(now)
    tmp = base / f".tmp-{version}"
    tmp.mkdir()
    try:
        yield tmp, version
        record = {"version": version, "layer": name, "written_at": now.isoformat(timespec="seconds"),
                  **meta}
        (tmp / META).write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str),
                                encoding="utf-8")
        for path in tmp.iterdir():
            _fsync(path)
        os.rename(tmp, base / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def switch(data_dir: Path | str, name: str, version: str | None) -> str | None:
    """Serve ``version`` (None: the default layer) from now on; returns the previous one.

    The pointer is written to a temporary file and moved over the old one with ``os.replace``,
    which is atomic on POSIX and Windows.
    """
    base = layer_dir(data_dir, name)
    if version is not None and not (base / version / META).is_file():
        raise KeyError(version)
    base.mkdir(parents=True, exist_ok=True)
    previous = current_version(data_dir, name)
    _replace_with(base / POINTER, version or DEFAULT)
    return previous


def _replace_with(path: Path, text: str) -> None:
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}"
    tmp.write_text(text, encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, path)


def write_journal(data_dir: Path | str, name: str, entry: dict) -> None:
    """Record a switch of ``name`` about to happen (``entry``: from, to, and who switches)."""
    base = layer_dir(data_dir, name)
    base.mkdir(parents=True, exist_ok=True)
    _replace_with(base / JOURNAL, json.dumps(entry, ensure_ascii=False))


def read_journal(data_dir: Path | str, name: str) -> dict | None:
    """The journal entry of an unfinished switch of ``name``, or None."""
    try:
        return json.loads((layer_dir(data_dir, name) / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def clear_journal(data_dir: Path | str, name: str) -> None:
    (layer_dir(data_dir, name) / JOURNAL).unlink(missing_ok=True)


def versions(data_dir: Path | str, name: str) -> list[dict]:
    """Every stored version's metadata, newest first, with ``current`` set on the one served."""
    base = layer_dir(data_dir, name)
    served = current_version(data_dir, name)
    out = []
    for meta_path in base.glob(f"*/{META}"):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["current"] = meta.get("version") == served
        out.append(meta)
    return sorted(out, key=lambda m: m.get("version", ""), reverse=True)


def version_meta(data_dir: Path | str, name: str, version: str) -> dict:
    path = layer_dir(data_dir, name) / version / META
    if not path.is_file():
        raise KeyError(version)
    return json.loads(path.read_text(encoding="utf-8"))


def pointer_stamps(data_dir: Path | str) -> list[tuple[str, str]]:
    """(layer, version served) for every layer with a pointer: part of the data version."""
    root = Path(data_dir) / "layers"
    return sorted((p.parent.name, p.read_text(encoding="utf-8").strip())
                  for p in root.glob(f"*/{POINTER}")) if root.is_dir() else []
