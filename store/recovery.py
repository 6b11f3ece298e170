"""Layer switches journaled with their transaction, and the start-up repair after a crash.

An import (or restore) writes its version folder, records the audit line in a transaction and
switches the pointer with :func:`journaled_switch`: a journal entry naming the switch is written
before the pointer moves and removed once the transaction commits (on a rollback the pointer
is switched straight back). A process killed in between leaves the entry behind, and
:func:`reconcile_layers` — run at start — finishes it: the switch stays when its audit line
committed, and is undone otherwise.

Nothing else is ever switched at start: a pointer that merely disagrees with this database's
audit trail (a layer imported against another database, a copied data folder) is left alone.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.processes import is_alive
from store import layer_versions as lv
from store.models import AuditEntry

log = logging.getLogger(__name__)
SWITCHES = ("layer.import", "layer.restore")


def database_label(session: Session) -> str:
    """The database ``session`` writes to, as its URL without the password."""
    return session.get_bind().url.render_as_string(hide_password=True)


def journaled_switch(data_dir: Path | str, layer: str, version: str | None,
                     session: Session | None = None) -> str | None:
    """Serve ``version`` of ``layer`` as part of ``session``'s transaction; returns the version
    served before.

    Without ``session`` the switch stands on its own and no journal entry outlives it.
    """
    previous = lv.current_version(data_dir, layer)
    entry = {"from": previous, "to": version, "pid": os.getpid(), "host": socket.gethostname(),
             "database": database_label(session) if session is not None else None,
             "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    lv.write_journal(data_dir, layer, entry)
    lv.switch(data_dir, layer, version)
    if session is None:
        lv.clear_journal(data_dir, layer)
        return previous

    def ours() -> bool:
        return lv.read_journal(data_dir, layer) == entry

    def committed(_session) -> None:
        if ours():
            lv.clear_journal(data_dir, layer)

    def rolled_back(_session) -> None:
        if ours():
            lv.switch(data_dir, layer, previous)
            lv.clear_journal(data_dir, layer)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)
    return previous


def audited_version(session: Session, layer: str) -> tuple[bool, str | None]:
    """(whether any switch of ``layer`` was audited, the version the latest one served — None
    for the default layer)."""
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action.in_(SWITCHES),
                                                     AuditEntry.target == layer)
                            .order_by(AuditEntry.id.desc()).limit(1)).first()
    if entry is None:
        return False, None
    version = (json.loads(entry.after_json or "{}") or {}).get("version")
    return True, None if version in (None, lv.DEFAULT) else version


def _running(entry: dict) -> bool:
    """Whether the process that journaled ``entry`` still runs (its switch is under way)."""
    if entry.get("host") != socket.gethostname():
        return True  # another machine's process: only that machine can tell
    pid = entry.get("pid")
    return pid != os.getpid() and is_alive(pid)


def reconcile_layers(data_dir: Path | str, session: Session) -> list[dict]:
    """Finish every switch journaled as interrupted: undo it when its audit line never
    committed, keep it when it did. Entries of a running process or of another database are
    left alone. Returns what was switched back."""
    root = Path(data_dir) / "layers"
    fixed = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        layer = folder.name
        entry = lv.read_journal(data_dir, layer)
        if entry is None or _running(entry):
            continue
        if entry.get("database") not in (None, database_label(session)):
            log.warning("layer %s: an interrupted switch was journaled against database %s; "
                        "start the app on that database to finish it", layer, entry.get("database"))
            continue
        audited, target = audited_version(session, layer)
        served = lv.current_version(data_dir, layer)
        if not (audited and target == entry["to"]) and served == entry["to"]:
            lv.switch(data_dir, layer, entry["from"])
            log.warning("layer %s: the switch to %s was interrupted before its audit line "
                        "committed; serving %s again", layer, served, entry["from"] or lv.DEFAULT)
            fixed.append({"layer": layer, "was": served, "now": entry["from"]})
        lv.clear_journal(data_dir, layer)
    return fixed
