"""Back up and restore everything the app keeps: the database and the layers folder, in one file.

A backup is a ``.tar.gz`` holding ``manifest.json``, the database — ``database.sqlite3`` made
with SQLite's online backup API (consistent while the app runs), or ``database.pgdump``
(``pg_dump --format=custom`` of the app's schema) on PostgreSQL — and ``data/``, the layers
folder (default layers, imported versions and their pointers, sources).

:func:`restore` checks the whole archive before it changes anything (manifest, the database
file opens and passes ``PRAGMA integrity_check``, paths stay inside the archive), then replaces
the database and swaps the layers folder in with a rename. Stop the server for a restore.

``pg_dump``/``pg_restore`` run without a shell, with the password in the environment
(``PGPASSWORD``), never on the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL

from core.errors import UserError

FORMAT = "sei-atlas-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
DATA = "data"


class BackupError(UserError):
    """A backup file that cannot be restored (nothing was changed)."""


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("内存数据库无法备份。", "An in-memory database cannot be backed up.",
                          code="backup_memory_db")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict]:
    """(connection URI without the password, environment with ``PGPASSWORD``) for pg tools."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_schema(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT current_schema()")).scalar_one()


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[:2000]}")


def _sqlite_copy(source, target) -> None:
    """Copy one SQLite database onto another with the online backup API (safe while in use)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _dump_database(engine, dest: Path) -> str:
    url = engine.url
    if _is_sqlite(url):
        _sqlite_copy(_sqlite_path(url), dest / SQLITE_FILE)
        return SQLITE_FILE
    uri, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
          f"--schema={_pg_schema(engine)}", f"--file={dest / PG_FILE}", f"--dbname={uri}"], env)
    return PG_FILE


def backup(engine, data_dir: Path | str, out: Path | str) -> dict:
    """Write a backup of the database behind ``engine`` and of ``data_dir`` to ``out``.

    The file is written beside ``out`` under a temporary name and renamed when complete, so an
    interrupted backup never leaves a truncated file under the final name. Returns the manifest.
    """
    out, data_dir = Path(out), Path(data_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sei-backup-") as tmp:
        db_file = _dump_database(engine, Path(tmp))
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "database": {"backend": engine.url.get_backend_name(), "file": db_file},
                    "data": DATA}
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        partial = out.with_name(f".{out.name}.partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / MANIFEST, arcname=MANIFEST)
            tar.add(Path(tmp) / db_file, arcname=db_file)
            tar.add(data_dir, arcname=DATA)
        os.replace(partial, out)
    return manifest


def _refuse(zh: str, en: str) -> BackupError:
    return BackupError(zh, en, code="bad_backup")


def _unpack(archive: Path, dest: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(dest, filter="data")  # refuses absolute paths, "..", devices, links out
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _refuse("备份文件无法读取或已损坏。", f"The backup file cannot be read: {exc}") from exc
    try:
        manifest = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _refuse("备份文件缺少说明（manifest.json）。", "The backup has no manifest.json.") from exc
    if manifest.get("format") != FORMAT:
        raise _refuse("不是本系统的备份文件。", "This is not a backup made by this app.")
    if not (dest / DATA).is_dir() or not (dest / manifest["database"]["file"]).is_file():
        raise _refuse("备份文件不完整（缺少数据库或图层目录）。",
                      "The backup is incomplete (database or layers folder missing).")
    return manifest


def _check_sqlite(path: Path) -> None:
    try:
        con = sqlite3.connect(path)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        ok = str(exc)
    if ok != "ok":
        raise _refuse("备份中的数据库已损坏。", f"The database in the backup is damaged: {ok}")


def _restore_database(engine, source: Path) -> None:
    url = engine.url
    if _is_sqlite(url):
        engine.dispose()  # no pooled connection of ours keeps the old pages
        _sqlite_copy(source, _sqlite_path(url))
        return
    engine.dispose()
    uri, env = _libpq(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", f"--dbname={uri}", str(source)], env)


def _swap_in(new: Path, data_dir: Path) -> None:
    """Put ``new`` where ``data_dir`` is, keeping the old folder until the new one is in place."""
    old = data_dir.with_name(f".{data_dir.name}.before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if data_dir.exists():
        os.rename(data_dir, old)
    os.rename(new, data_dir)
    shutil.rmtree(old, ignore_errors=True)


def restore(engine, data_dir: Path | str, archive: Path | str) -> dict:
    """Replace the database behind ``engine`` and ``data_dir`` with the contents of ``archive``.

    Raises :class:`BackupError` (nothing changed) when the archive is unreadable, not ours,
    incomplete, or holds a damaged or mismatched database. Returns the archive's manifest.
    """
    data_dir, archive = Path(data_dir).resolve(), Path(archive)
    backend = engine.url.get_backend_name()
    # unpacked beside the data folder, so the final swap is a rename on one file system
    with tempfile.TemporaryDirectory(prefix=".sei-restore-", dir=data_dir.parent) as tmp:
        manifest = _unpack(archive, Path(tmp))
        if manifest["database"]["backend"] != backend:
            raise _refuse(f"备份来自 {manifest['database']['backend']} 数据库，当前为 {backend}。",
                          f"The backup is of a {manifest['database']['backend']} database; this app "
                          f"uses {backend}.")
        db_file = Path(tmp) / manifest["database"]["file"]
        if _is_sqlite(engine.url):
            _check_sqlite(db_file)
        _restore_database(engine, db_file)
        _swap_in(Path(tmp) / DATA, data_dir)
    return manifest

