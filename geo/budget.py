"""Limits on the work one uploaded file may cause: records, vertices, seconds, temporary space.

Each limit is checked before reading wherever the file tells (the ``.shx`` index and the DBF
header give the record count, a GeoPackage table is counted, a zip declares its sizes), and
again while and after reading: GDAL is asked for one record more than the limit and stops there,
the vertices are counted once the geometries are in, and the clock is looked at between the
steps. Going over raises :class:`BudgetExceeded` (413) before the work gets expensive.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import shapely

from geo.errors import GeoInputError

#: records (features) one upload may hold
MAX_RECORDS = 500_000
#: vertices (coordinate pairs) one upload may hold
MAX_VERTICES = 10_000_000
#: seconds reading one upload may take
MAX_SECONDS = 60.0
#: free space the temporary folder must keep beyond what an upload unpacks to
SPARE_TEMP_BYTES = 256 * 1024 * 1024


class BudgetExceeded(GeoInputError):
    """The upload would take more records, vertices, time or space than one upload may."""

    status = 413


class NoTempSpace(GeoInputError):
    """The server's temporary folder is too full to unpack the upload now (not the file's fault)."""

    status = 503


def too_many_records(count: int, limit: int | None = None) -> BudgetExceeded:
    limit = MAX_RECORDS if limit is None else limit
    return BudgetExceeded(
        f"文件含 {count:,} 条以上记录，超过单次上传上限 {limit:,} 条。请分批上传。",
        f"The file holds {count:,} records or more, over the limit of {limit:,} for one upload. "
        "Upload it in parts.",
        code="too_large", details={"records": count, "limit": limit})


def check_records(count: int, limit: int | None = None) -> None:
    limit = MAX_RECORDS if limit is None else limit
    if count > limit:
        raise too_many_records(count, limit)


def check_vertices(geoms, limit: int | None = None) -> None:
    """Raise ``too_large`` when ``geoms`` hold more than ``limit`` vertices."""
    limit = MAX_VERTICES if limit is None else limit
    count = int(shapely.get_num_coordinates(np.asarray(geoms, dtype=object)).sum())
    if count > limit:
        raise BudgetExceeded(
            f"文件中的图形共有 {count:,} 个顶点，超过单次上传上限 {limit:,} 个。请简化图形或分批上传。",
            f"The file's geometries hold {count:,} vertices, over the limit of {limit:,} for one "
            "upload. Simplify them or upload in parts.",
            code="too_large", details={"vertices": count, "limit": limit})


def check_temp_space(folder: Path, needed: int) -> None:
    """Raise ``no_space`` (503) unless ``folder``'s disk keeps :data:`SPARE_TEMP_BYTES` free
    after ``needed`` more bytes."""
    free = shutil.disk_usage(folder).free
    if free - needed < SPARE_TEMP_BYTES:
        raise NoTempSpace(
            "服务器临时空间不足，暂时无法解压该文件。请稍后再试，或联系管理员。",
            "The server's temporary space is too low to unpack the file now. Try again later, "
            "or tell the administrator.",
            code="no_space", details={"needed": needed, "free": free})


class Deadline:
    """The clock of one upload: :meth:`check` raises ``too_slow`` once ``seconds`` have passed."""

    def __init__(self, seconds: float | None = None):
        self.seconds = MAX_SECONDS if seconds is None else seconds
        self.ends = time.monotonic() + self.seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise BudgetExceeded(
                f"读取该文件超过了 {self.seconds:g} 秒的处理时限，已停止。请分批上传或简化图形。",
                f"Reading the file took longer than the {self.seconds:g} s allowed for one upload "
                "and was stopped. Upload it in parts or simplify the geometries.",
                code="too_slow", details={"seconds": self.seconds})
