"""Tile builds of big layers in a background process, with progress anyone can read.

A build runs as its own process (``python -m layers.tiles.jobs``), so the web workers keep
serving and a restart of the server does not stop it. Its state is a small JSON file beside the
tile store, ``<store>/<layer>/<version>.job.json`` (state, steps done of total, current step),
written atomically, so every app worker — and ``flask tiles status`` — sees the same progress.
Only one build of a version runs at a time: the state file is claimed with ``O_EXCL``.
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


def job_id(layer: str, version: str) -> str:
    return f"tiles.{layer}.{version}"


def parse_job_id(value: str) -> tuple[str, str] | None:
    parts = value.split(".", 2)
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "tiles" else None


def finished(layer: str, version: str) -> dict:
    """The state of a version whose tiles are built (whether or not a job built them)."""
    return {"id": job_id(layer, version), "layer": layer, "version": version, "state": DONE,
            "done": 1, "total": 1}


def state_path(store_dir: Path, layer: str, version: str) -> Path:
    return Path(store_dir) / layer / f"{version}.job.json"


def read_state(store_dir: Path, layer: str, version: str) -> dict | None:
    try:
        state = json.loads(state_path(store_dir, layer, version).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if state.get("state") == RUNNING and not is_alive(state.get("pid")):
        state = {**state, "state": FAILED, "error": "the build process ended without finishing"}
    return {"id": job_id(layer, version), "layer": layer, "version": version, **state}


def write_state(store_dir: Path, layer: str, version: str, **state) -> None:
    path = state_path(store_dir, layer, version)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**state, "updated": time.time()}), encoding="utf-8")
    os.replace(tmp, path)


def _claim(store_dir: Path, layer: str, version: str) -> bool:
    """Take the right to build ``version`` (False when a live build has it already)."""
    path = state_path(store_dir, layer, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    current = read_state(store_dir, layer, version)
    if current and current["state"] in (RUNNING, DONE):
        return False
    if current:  # a failed or dead build: try again
        path.unlink(missing_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def start(store_dir: Path, layer: str, version: str, *, env: dict[str, str], workers: int = 2) -> dict:
    """Start building ``layer`` at ``version`` in a background process unless a build of it
    runs already; returns the job's state. ``env`` carries the engine's settings
    (``SEI_ATLAS_TILE_*``), never secrets on the command line."""
    if _claim(store_dir, layer, version):
        process = subprocess.Popen(
            [sys.executable, "-m", "layers.tiles.jobs", layer, version, "--workers", str(workers)],
            env={**os.environ, **env}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        write_state(store_dir, layer, version, state=RUNNING, pid=process.pid, done=0, total=1,
                    step="start", started=time.time())
    return read_state(store_dir, layer, version)


def main(argv: list[str] | None = None) -> int:
    """The build process: ``python -m layers.tiles.jobs LAYER VERSION [--workers N]``."""
    import argparse

    from layers.tiles.service import engine_from_env

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("layer")
    parser.add_argument("version")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    service = engine_from_env()
    store_dir = service.engine.store_dir
    started = time.time()

    def progress(done: int, total: int, step: str) -> None:
        write_state(store_dir, args.layer, args.version, state=RUNNING, pid=os.getpid(), done=done,
                    total=total, step=step, started=started)

    try:
        service.build(args.layer, args.version, workers=args.workers, progress=progress)
    except Exception as exc:  # recorded for the job API, then re-raised for the exit code
        write_state(store_dir, args.layer, args.version, state=FAILED, error=f"{type(exc).__name__}: {exc}",
                    started=started)
        raise
    write_state(store_dir, args.layer, args.version, state=DONE, done=1, total=1, step="done",
                started=started, seconds=round(time.time() - started, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
