"""Uploads waiting for the admin's confirmation, between the preview and the swap.

An import takes several requests (upload, correct the mapping, confirm), so the uploaded file
waits in ``<instance>/imports/<token>/`` with the admin's choices beside it. Nothing there is
served; a staged upload is removed on confirm, on cancel, when it cannot be read at all, and
after :data:`MAX_AGE_S` in any case.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from pathlib import Path

from core.errors import UserError

MAX_AGE_S = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16}$")
CHOICES = "choices.json"


def _dir(root: Path, token: str) -> Path:
    if not TOKEN.match(token or ""):
        raise _gone()
    return Path(root) / token


def _gone() -> UserError:
    err = UserError("该导入已失效（已确认、已取消或超过 24 小时）。请重新上传文件。",
                        "This import is no longer available (confirmed, cancelled or older than "
                        "24 hours). Upload the file again.", code="import_gone")
    err.status = 404
    return err


def stage(root: Path, save, filename: str, choices: dict) -> str:
    """Keep an upload: ``save(path)`` writes the file. Returns the token naming it."""
    purge(root)
    token = secrets.token_urlsafe(12)  # 16 characters
    folder = _dir(root, token)
    folder.mkdir(parents=True)
    try:
        save(folder / f"upload{Path(filename).suffix.lower()}")
        (folder / CHOICES).write_text(json.dumps({"filename": filename, **choices}, ensure_ascii=False),
                                      encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return token


def load(root: Path, token: str) -> tuple[Path, dict]:
    """(the staged file, the choices) for ``token``; ``import_gone`` (404) when it is not there."""
    folder = _dir(root, token)
    try:
        choices = json.loads((folder / CHOICES).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _gone() from None
    upload = next(folder.glob("upload*"), None)
    if upload is None:
        raise _gone()
    return upload, choices


def update(root: Path, token: str, **changes) -> dict:
    _, choices = load(root, token)
    choices.update(changes)
    (_dir(root, token) / CHOICES).write_text(json.dumps(choices, ensure_ascii=False), encoding="utf-8")
    return choices


def drop(root: Path, token: str) -> None:
    shutil.rmtree(_dir(root, token), ignore_errors=True)


def purge(root: Path, max_age_s: float = MAX_AGE_S) -> None:
    """Remove staged uploads older than ``max_age_s``."""
    root = Path(root)
    if not root.is_dir():
        return
    limit = time.time() - max_age_s
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
