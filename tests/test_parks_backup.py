"""store.backup through `flask backup` / `flask restore`: a round trip brings back the database
(users, audit trail) and the layers folder exactly; a bad archive changes nothing; a backup
taken while clerks write is a consistent snapshot."""

import hashlib
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from parks.catalog import Catalog
from store import accounts, audit
from store import layer_versions as lv
from store.backup import MANIFEST, BackupError, backup
from store.models import User
from web.auth import database


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the hash of its content."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def usernames(app) -> list[str]:
    with app.app_context(), database().read() as session:
        return [u.username for u in accounts.list_users(session)]


def audit_ids(app) -> list[int]:
    with app.app_context(), database().read() as session:
        return [e.id for e in audit.entries(session, limit=None)]


def add_user(app, name: str) -> None:
    with app.app_context(), database().write() as session:
        accounts.create_user(session, name, "password-123", "viewer")


def new_parks_version(data_dir: Path, label: str) -> str:
    parks = Catalog(data_dir).layer("parks").drop(columns=["evidence", "source", "prec_note"])
    parks["name_en"] = label
    version = lv.write_version(data_dir, "parks", parks, {"origin": label})
    lv.switch(data_dir, "parks", version)
    return version


def test_round_trip_restores_database_and_layers_exactly(app, runner, data_dir, tmp_path):
    add_user(app, "li.ming")
    kept = new_parks_version(data_dir, "kept")
    snapshot = (usernames(app), audit_ids(app), tree(data_dir))
    archive = tmp_path / "backups" / "atlas.tar.gz"

    r = runner.invoke(args=["backup", str(archive)])
    assert r.exit_code == 0, r.output
    assert archive.is_file() and not list(archive.parent.glob(".*partial"))

    add_user(app, "wang.fang")
    new_parks_version(data_dir, "later")
    (data_dir / "shapefiles" / "projects.dbf").unlink()
    assert (usernames(app), tree(data_dir)) != snapshot[::2]

    r = runner.invoke(args=["restore", str(archive), "--yes"])
    assert r.exit_code == 0, r.output
    assert (usernames(app), audit_ids(app), tree(data_dir)) == snapshot
    assert lv.current_version(data_dir, "parks") == kept
    assert not list(data_dir.parent.glob(".data.before-restore*"))
    with app.app_context():
        assert app.test_client().get("/healthz").json["status"] == "ok"


def test_restore_asks_before_it_overwrites(app, runner, tmp_path):
    archive = tmp_path / "a.tar.gz"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    add_user(app, "after")
    r = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert r.exit_code == 1 and "after" in usernames(app)


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _manifest(**changes) -> bytes:
    m = {"format": "sei-atlas-backup/1", "created_at": "2026-01-01T00:00:00+00:00",
         "database": {"backend": "sqlite", "file": "database.sqlite3"}, "data": "data"}
    m.update(changes)
    return json.dumps(m).encode()


BAD_ARCHIVES = {
    "not a tar": b"this is not a backup",
    "no manifest": _tar({"data/x.txt": b"x"}),
    "someone else's": _tar({MANIFEST: b'{"format": "other/2"}', "data/x": b"", "database.sqlite3": b""}),
    "no database": _tar({MANIFEST: _manifest(), "data/x.txt": b"x"}),
    "damaged database": _tar({MANIFEST: _manifest(), "data/x.txt": b"x", "database.sqlite3": b"junk" * 300}),
    "path traversal": _tar({MANIFEST: _manifest(), "../../escaped.txt": b"x", "database.sqlite3": b""}),
    "absolute path": _tar({MANIFEST: _manifest(), "/tmp/sei-escaped.txt": b"x"}),
    "other backend": _tar({MANIFEST: _manifest(database={"backend": "oracle", "file": "d.dmp"}),
                           "data/x.txt": b"x", "d.dmp": b""}),
}


@pytest.mark.parametrize("kind", list(BAD_ARCHIVES))
def test_a_bad_archive_changes_nothing(app, runner, data_dir, tmp_path, kind):
    archive = tmp_path / "bad.tar.gz"
    archive.write_bytes(BAD_ARCHIVES[kind])
    before = (usernames(app), audit_ids(app), tree(data_dir))
    r = runner.invoke(args=["restore", str(archive), "--yes"])
    assert r.exit_code == 1, r.output
    assert "Error:" in r.output and " / " in r.output  # Chinese / English
    assert (usernames(app), audit_ids(app), tree(data_dir)) == before
    assert not (tmp_path.parent / "escaped.txt").exists() and not Path("/tmp/sei-escaped.txt").exists()
    assert not list(data_dir.parent.glob(".sei-restore-*"))


def test_backup_while_clerks_write_is_a_consistent_snapshot(app, data_dir, tmp_path):
    """Users are created one per transaction while the backup runs: the copy holds exactly the
    first k of them, each with its audit line."""
    stop = threading.Event()
    created = []

    def clerk():
        while not stop.is_set():
            name = f"user{len(created):04d}"
            add_user(app, name)
            created.append(name)

    writer = threading.Thread(target=clerk)
    writer.start()
    try:
        while len(created) < 5:
            pass
        with app.app_context():
            backup(database().engine, data_dir, tmp_path / "live.tar.gz")
    finally:
        stop.set()
        writer.join()
    add_user(app, "after.backup")
    with app.app_context():
        from store.backup import restore

        restore(database().engine, data_dir, tmp_path / "live.tar.gz")
    restored = usernames(app)
    assert 5 <= len(restored) <= len(created) and "after.backup" not in restored
    assert sorted(restored) == created[:len(restored)]
    with app.app_context(), database().read() as session:
        created_lines = audit.entries(session, audit.AuditFilter(action="user.create"), limit=None)
        lines = {e.target for e in created_lines}
        assert lines == set(restored)
        assert session.query(User).count() == len(restored)


def test_backup_of_an_in_memory_database_is_refused(data_dir, tmp_path):
    from sqlalchemy import create_engine

    with pytest.raises(BackupError):
        backup(create_engine("sqlite://"), data_dir, tmp_path / "x.tar.gz")
