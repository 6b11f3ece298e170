"""Start-up repair after a crash: the layer served is the one the audit trail says was switched in.

An import (or restore) writes its version folder, records the audit line in a transaction,
switches the pointer, then commits (:func:`parks.importer.commit_import`). A process killed
between the switch and the commit leaves a pointer naming a version whose audit line was
rolled back — a layer that changed with no trace. :func:`reconcile_layers` undoes that: for
every layer, the latest committed ``layer.import`` / ``layer.restore`` line names the version
that should be served, and the pointer is switched back to it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import layer_versions as lv
from store.models import AuditEntry

log = logging.getLogger(__name__)
SWITCHES = ("layer.import", "layer.restore")


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


def _meta(data_dir: Path | str, layer: str, version: str) -> dict:
    try:
        return lv.version_meta(data_dir, layer, version)
    except KeyError:
        return {}


def reconcile_layers(data_dir: Path | str, session: Session) -> list[dict]:
    """Switch every layer whose pointer disagrees with the audit trail back to the audited
    version. Versions never imported (the snapshots kept of the shipped layers) are left alone
    when no switch was ever audited. Returns what was switched."""
    root = Path(data_dir) / "layers"
    fixed = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        layer = folder.name
        served = lv.current_version(data_dir, layer)
        audited, target = audited_version(session, layer)
        if not audited:
            if served is None or "imported_at" not in _meta(data_dir, layer, served):
                continue
            target = None  # an import whose audit line never committed, over the default layer
        if served == target or (target is not None and not (folder / target).is_dir()):
            continue
        lv.switch(data_dir, layer, target)
        log.warning("layer %s: pointer named %s with no committed audit line; serving %s again",
                    layer, served, target or lv.DEFAULT)
        fixed.append({"layer": layer, "was": served, "now": target})
    return fixed
