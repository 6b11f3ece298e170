"""Survey and supply imports uploaded through the API, run as background jobs.

``POST /api/survey`` (or ``/api/supply``) checks what can be checked at once — the format, the
layer, its geometry type, the CRS and encoding, the DLBM field or the supply fields — and
answers 400 when that fails. Otherwise the upload is moved into a job folder,
``DATA_DIR/jobs/<survey|supply>-<token>/``, and ``python -m parks.survey_jobs <folder>``
imports it there (:mod:`parks.survey_import`), writing its progress to ``state.json``
(:mod:`store.jobs`). What the streaming checks find (unknown codes, overlaps, patches outside
Henan …) ends the job as ``failed`` with the same bilingual error a synchronous import raises,
and nothing is stored. The upload is removed when the job ends.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import time
from pathlib import Path

from core.errors import UserError
from geo.upload_stream import open_stream
from parks import survey_import
from store import jobs
from store.db import Database

KINDS = ("survey", "supply")
STATE, PARAMS = "state.json", "params.json"
_JOB_ID = re.compile(r"^(survey|supply)\.([0-9a-f]{16})$")
#: settings the job process reads from its environment
DATA_DIR_ENV, DATABASE_ENV = "SEI_ATLAS_DATA_DIR", "SEI_ATLAS_DATABASE_URL"


def job_dir(data_dir, job_id: str) -> Path | None:
    """The folder of job ``job_id`` (None when the id is not one of ours)."""
    match = _JOB_ID.match(job_id)
    return Path(data_dir) / "jobs" / f"{match.group(1)}-{match.group(2)}" if match else None


def owns(job_id: str) -> bool:
    return bool(_JOB_ID.match(job_id))


def precheck(kind: str, path: Path, filename: str, params: dict, region=None) -> None:
    """What a file shows at once: raise the :class:`UserError` the import would raise on opening."""
    with open_stream(path, filename, crs=params.get("crs"), encoding=params.get("encoding"),
                     layer=params.get("layer"), preferred=("DLTB",) if kind == "survey" else (),
                     geometry="polygon" if kind == "survey" else "any", region=region) as stream:
        if kind == "survey":
            survey_import.survey_columns(stream.fields)
        else:
            mapping = survey_import.supply_mapping(stream.fields, params.get("mapping"))
            survey_import.area_factor(mapping, params.get("area_unit"))


def start(data_dir, kind: str, upload: Path, filename: str, params: dict, *, actor: str,
          database_url: str) -> dict:
    """Move ``upload`` into a new job folder and start importing it; returns the job's state."""
    if kind not in KINDS:
        raise ValueError(kind)
    job_id = f"{kind}.{secrets.token_hex(8)}"
    folder = job_dir(data_dir, job_id)
    folder.mkdir(parents=True)
    suffix = "".join(Path(filename).suffixes[-1:]).lower()
    shutil.move(upload, folder / f"upload{suffix}")
    (folder / PARAMS).write_text(json.dumps({"kind": kind, "filename": filename, "actor": actor,
                                             "upload": f"upload{suffix}", **params},
                                            ensure_ascii=False), encoding="utf-8")
    jobs.claim(folder / STATE)
    jobs.spawn(folder / STATE, "parks.survey_jobs", [str(folder)], kind=kind, filename=filename,
               env={DATA_DIR_ENV: str(Path(data_dir).resolve()), DATABASE_ENV: database_url})
    return read(data_dir, job_id)


def read(data_dir, job_id: str) -> dict | None:
    """The state of job ``job_id``, or None when there is no such job."""
    folder = job_dir(data_dir, job_id)
    state = jobs.read_state(folder / STATE) if folder else None
    if state is None:
        return None
    state.pop("pid", None)
    return {"id": job_id, **state}


def _region(data_dir):
    from parks.catalog import Catalog

    return survey_import.henan_region(Catalog(data_dir))


def run(folder: Path) -> int:
    """The job process: import the upload of ``folder`` as its parameters say."""
    folder = Path(folder)
    params = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
    data_dir, started = os.environ[DATA_DIR_ENV], time.time()
    state_path, upload = folder / STATE, folder / params["upload"]
    common = {"kind": params["kind"], "filename": params["filename"], "started": started}

    def progress(done: int, total: int, step: str) -> None:
        jobs.write_state(state_path, state=jobs.RUNNING, pid=os.getpid(), done=done, total=total,
                         step=step, **common)

    db = Database(os.environ[DATABASE_ENV])
    options = {k: params.get(k) for k in ("crs", "encoding", "layer")}
    common_args = {"region": _region(data_dir), "actor": params["actor"],
                   "reason": params.get("reason") or "", "progress": progress, **options}
    try:
        if params["kind"] == "survey":
            meta = survey_import.import_survey(db, data_dir, upload, params["filename"],
                                               year=params.get("year"), **common_args)
            result = {"year": meta["year"], "features": meta["features"]}
        else:
            meta = survey_import.import_supply(db, data_dir, upload, params["filename"],
                                               mapping=params.get("mapping"),
                                               area_unit=params.get("area_unit"), **common_args)
            result = {"version": meta["version"], "features": meta["features"]}
    except UserError as exc:  # the file's problem, told as the synchronous import tells it
        jobs.write_state(state_path, state=jobs.FAILED, status=exc.status, error=exc.to_dict(), **common)
        return 1
    except Exception as exc:  # a bug or the machine: recorded for the job API, re-raised for the log
        jobs.write_state(state_path, state=jobs.FAILED, status=500,
                         error={"error": "internal", "message_en": f"{type(exc).__name__}: {exc}"}, **common)
        raise
    finally:
        upload.unlink(missing_ok=True)
        db.dispose()
    jobs.write_state(state_path, state=jobs.DONE, done=1, total=1, step="done", result=result,
                     seconds=round(time.time() - started, 1), **common)
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
