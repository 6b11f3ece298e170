"""Tile builds of big layers in a background process, with progress anyone can read.

A build runs as its own process (``python -m layers.tiles.jobs``), so the web workers keep
serving and a restart of the server does not stop it. Its state is a small JSON file beside the
tile store, ``<store>/<layer>/<version>.job.json`` (:mod:`store.jobs`: state, steps done of
total, current step), so every app worker — and ``flask tiles status`` — sees the same
progress. Only one build of a version runs at a time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from store import jobs as job_files
from store.jobs import DONE, FAILED, RUNNING


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
    state = job_files.read_state(state_path(store_dir, layer, version))
    return None if state is None else {"id": job_id(layer, version), "layer": layer, "version": version,
                                       **state}


def write_state(store_dir: Path, layer: str, version: str, **state) -> None:
    job_files.write_state(state_path(store_dir, layer, version), **state)


def start(store_dir: Path, layer: str, version: str, *, env: dict[str, str], workers: int = 2) -> dict:
    """Start building ``layer`` at ``version`` in a background process unless a build of it
    runs already; returns the job's state. ``env`` carries the engine's settings
    (``SEI_ATLAS_TILE_*``), never secrets on the command line."""
    path = state_path(store_dir, layer, version)
    if job_files.claim(path):
        job_files.spawn(path, "layers.tiles.jobs", [layer, version, "--workers", str(workers)], env=env)
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
