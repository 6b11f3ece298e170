"""Background jobs whose progress any process can read: one small JSON state file per job.

A long piece of work (a tile build, a survey import) runs as its own process, so web workers
keep serving and a restart does not stop it. Its state — ``running`` / ``done`` / ``failed``,
steps done of total, the current step, a result or an error — is written atomically to a file,
so every app worker and the command line see the same progress. A job whose process has died
without finishing reads as failed. A job is claimed with ``O_EXCL``, so it runs only once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from core.processes import is_alive

RUNNING, DONE, FAILED = "running", "done", "failed"


def read_state(path: Path) -> dict | None:
    """The state in ``path`` (None when there is none); a running job whose process has gone is
    reported failed."""
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if state.get("state") == RUNNING and not is_alive(state.get("pid")):
        state = {**state, "state": FAILED, "error": "the job's process ended without finishing"}
    return state


def write_state(path: Path, **state) -> None:
    path = Path(path)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**state, "updated": time.time()}, ensure_ascii=False, default=str),
                   encoding="utf-8")
    os.replace(tmp, path)


def claim(path: Path) -> bool:
    """Take the right to run the job of ``path`` (False while a live or finished run has it;
    a failed or dead run is replaced)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    current = read_state(path)
    if current and current["state"] in (RUNNING, DONE):
        return False
    if current:
        path.unlink(missing_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def spawn(path: Path, module: str, args: list[str], *, env: dict[str, str], **state) -> None:
    """Run ``python -m module args…`` in its own session and record it as running in ``path``
    (claimed already). ``env`` carries settings, never secrets on the command line."""
    process = subprocess.Popen([sys.executable, "-m", module, *args], env={**os.environ, **env},
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    write_state(path, state=RUNNING, pid=process.pid, done=0, total=1, step="start",
                started=time.time(), **state)
