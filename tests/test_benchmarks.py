"""Benchmarks never touch the served data: they run on a throwaway data folder and database."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fixtures_files import make_geojson, parcels_gdf

from parks import importer
from parks.catalog import Catalog
from store import layer_versions as lv
from web.auth import database

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


def test_benchmark_setup_leaves_the_served_version_unchanged(app, data_dir, tmp_path, monkeypatch):
    """Even when the environment names the served folder and database (as on the server that
    ran the OGC benchmark), the benchmark's app gets its own, and the served layer stays."""
    from throwaway import throwaway_app, throwaway_data

    catalog = Catalog(data_dir)
    path = make_geojson(tmp_path, parcels_gdf(2, names=["官方园区甲", "官方园区乙"]))
    plan = importer.plan_import(catalog, "parks", path, path.name)
    with app.app_context(), database().write() as session:
        version = importer.commit_import(catalog, plan, actor="boss", session=session)
    monkeypatch.setenv("SEI_ATLAS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SEI_ATLAS_DATABASE_URL", app.config["DATABASE_URL"])
    served = (lv.current_version(data_dir, "parks"), catalog.data_version())

    with throwaway_app({"TESTING": True}) as bench:
        assert Path(bench.config["DATA_DIR"]) != data_dir
        assert bench.config["DATABASE_URL"] != app.config["DATABASE_URL"]
        assert bench.test_client().get("/ogc/collections/parks/items?limit=1").status_code == 200
        throwaway = Path(bench.config["DATA_DIR"])
    assert not throwaway.exists()
    with throwaway_data(data_dir) as copy:  # a copy of the served folder, which is only read
        assert lv.current_version(copy, "parks") == version
    assert (lv.current_version(data_dir, "parks"), Catalog(data_dir).data_version()) == served


def test_every_benchmark_gets_its_app_and_layers_from_the_throwaway_folder():
    """A benchmark that starts the app or reads a catalog does it through :mod:`throwaway`."""
    for script in sorted(p for p in BENCHMARKS.glob("*.py") if p.name != "throwaway.py"):
        text = script.read_text(encoding="utf-8")
        if re.search(r"\bcreate_app\(|\bCatalog\(|\bensure_data\(", text):
            assert "from throwaway import" in text, f"{script.name} may touch the served data"
