"""A waitress server for tests/test_reliability.py that can be made to stall inside a transaction.

    python tests/crash_server.py PORT

Configuration comes from the usual ``SEI_ATLAS_*`` variables. With ``CRASH_ON`` (audit actions,
comma-separated, e.g. ``parcel.reserve``), the ``CRASH_AFTER``-th transaction (default: the
first) that records such an action stops just before its COMMIT, writes ``CRASH_MARKER`` and
sleeps, so the test can SIGKILL the process with the transaction's work done and not committed.
Test code only: the app itself has no such hook.
"""

import itertools
import os
import sys
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session
from waitress import serve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from store.models import AuditEntry  # noqa: E402

ACTIONS = {a for a in os.environ.get("CRASH_ON", "").split(",") if a}
AFTER = int(os.environ.get("CRASH_AFTER", "1"))
_seen = itertools.count(1)


@event.listens_for(Session, "after_flush")
def _note(session, _context):
    for obj in session.new:
        if isinstance(obj, AuditEntry) and obj.action in ACTIONS:
            session.info["crash_on"] = obj.action


@event.listens_for(Session, "before_commit")
def _stall(session):
    action = session.info.pop("crash_on", None)
    if action and next(_seen) >= AFTER:
        Path(os.environ["CRASH_MARKER"]).write_text(action, encoding="utf-8")
        time.sleep(120)


if __name__ == "__main__":
    serve(create_app(), host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
