"""The land-use survey (三调 地类图斑 DLTB, one layer per survey year) and the land-supply
records (供地), as stored by an import (:mod:`store.survey_import`), read by area.

Where they live::

    DATA_DIR/survey/dltb-<year>.parquet   GeoParquet, EPSG:4490, bbox covering column
    DATA_DIR/survey/dltb-<year>.json      what was imported, when, from what; which engine holds it
    DATA_DIR/layers/supply/<version>/     supply.parquet + meta.json, the version CURRENT names
                                          (:mod:`store.layer_versions`)

With PostgreSQL configured the rows are PostGIS tables instead (``survey_dltb_<year>``,
``supply_<hash of version>``, GiST-indexed); the JSON still says what was imported and names the
table, so the same functions read either. A survey year is replaced as a whole by a new import;
supply records are versions, any of which can be served again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import geopandas as gpd

from store import layer_versions
from store.geoparquet import read_geoparquet

#: the fields of a delivered DLTB (TD/T 1055-2019), kept as delivered; others are kept too
SURVEY_FIELDS = ("BSM", "DLBM", "DLMC", "QSXZ", "ZLDWDM", "ZLDWMC", "TBMJ", "KCXS", "KCMJ",
                 "TBDLMJ", "CZCSXM", "SJNF")
SURVEY_NUMBERS = ("TBMJ", "KCXS", "KCMJ", "TBDLMJ")
#: the columns of supply records (供地), as stored whatever the delivered names were
SUPPLY_FIELDS = ("parcel_id", "use", "method", "supplied_on", "area_m2", "far")
SUPPLY_LAYER = "supply"
GEOPARQUET, POSTGIS = "geoparquet", "postgis"
#: where a process without the app's settings finds the database (as app.py reads it)
DATABASE_ENV = "SEI_ATLAS_DATABASE_URL"
_YEAR_FILE = re.compile(r"^dltb-(\d{4})\.json$")


class NoSurvey(LookupError):
    """No survey of that year (or no supply records) has been imported."""


def survey_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / "survey"


def survey_meta_path(data_dir: Path | str, year: int) -> Path:
    return survey_dir(data_dir) / f"dltb-{int(year)}.json"


def survey_file(data_dir: Path | str, year: int) -> Path:
    return survey_dir(data_dir) / f"dltb-{int(year)}.parquet"


def survey_table(year: int) -> str:
    return f"survey_dltb_{int(year)}"


def supply_table(version: str) -> str:
    return f"supply_{hashlib.sha256(version.encode()).hexdigest()[:12]}"


def uses_postgis(database_url: str | None) -> bool:
    return bool(database_url) and str(database_url).startswith("postgresql")


def survey_years(data_dir: Path | str) -> list[int]:
    """The survey years imported, oldest first."""
    folder = survey_dir(data_dir)
    found = (_YEAR_FILE.match(p.name) for p in folder.iterdir()) if folder.is_dir() else ()
    return sorted(int(m.group(1)) for m in found if m)


def survey_meta(data_dir: Path | str, year: int) -> dict:
    """What the import of ``year`` recorded (features, source, CRS, engine, imported at)."""
    try:
        return json.loads(survey_meta_path(data_dir, year).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NoSurvey(year) from None


def read_patches(data_dir: Path | str, year: int, *, mask=None, columns=None,
                 database_url: str | None = None) -> gpd.GeoDataFrame:
    """The survey patches of ``year`` in EPSG:4490: the delivered fields plus ``land_group``
    (建设用地/农用地/未利用地), ``is_industrial``, ``is_cultivated``.

    :param mask: a shapely geometry in EPSG:4490; only patches intersecting it are read (the
        file's row groups / the table's GiST index are filtered first, so an area read does not
        load the county).
    :param columns: the attribute columns wanted (all when None); the geometry always comes.
    :param database_url: the PostgreSQL URL when the survey is in PostGIS (default: the
        ``SEI_ATLAS_DATABASE_URL`` environment variable).
    :raises NoSurvey: when no survey of ``year`` was imported.
    """
    return _read(survey_meta(data_dir, year), survey_file(data_dir, year), mask, columns,
                 database_url)


def supply_meta(data_dir: Path | str, version: str | None = None) -> dict:
    """The metadata of supply version ``version`` (default: the one served)."""
    version = version or layer_versions.current_version(data_dir, SUPPLY_LAYER)
    if version is None:
        raise NoSurvey(SUPPLY_LAYER)
    return layer_versions.version_meta(data_dir, SUPPLY_LAYER, version)


def read_supply(data_dir: Path | str, *, mask=None, columns=None, version: str | None = None,
                database_url: str | None = None) -> gpd.GeoDataFrame:
    """The land-supply records (供地) served (or of ``version``), EPSG:4490: ``parcel_id``,
    ``use`` (用途), ``method`` (供地方式: 划拨 / 出让), ``supplied_on`` (供地时间, ISO date),
    ``area_m2`` (面积), ``far`` (容积率, empty where unknown), other delivered fields kept.

    ``mask``, ``columns`` and ``database_url`` as for :func:`read_patches`.
    :raises NoSurvey: when no supply records were imported.
    """
    meta = supply_meta(data_dir, version)
    path = layer_versions.layer_dir(data_dir, SUPPLY_LAYER) / meta["version"] / f"{SUPPLY_LAYER}.parquet"
    return _read(meta, path, mask, columns, database_url)


def _read(meta: dict, path: Path, mask, columns, database_url) -> gpd.GeoDataFrame:
    if meta.get("engine") == POSTGIS:
        from store.postgis_table import read_postgis_table

        url = database_url or os.environ.get(DATABASE_ENV)
        if not uses_postgis(url):
            raise RuntimeError(f"{meta['table']} is in PostgreSQL: pass database_url or set {DATABASE_ENV}")
        return read_postgis_table(url, meta["table"], mask=mask, columns=columns)
    return read_geoparquet(path, mask=mask, columns=columns)

