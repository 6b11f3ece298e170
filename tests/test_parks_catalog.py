"""parks.catalog: a layer is served from its imported version, else from DATA_DIR/shapefiles/,
else from the shipped default layers, which are read in place and never written."""

from __future__ import annotations

import hashlib
import shutil

from fixtures_files import make_geojson, parcels_gdf

from core.shipped import shipped
from parks import importer
from parks.catalog import Catalog, ensure_data
from store import layer_versions as lv

SHIPPED = shipped("data", "shapefiles")


def _digest(folder) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_an_empty_data_folder_serves_the_shipped_layers(tmp_path):
    catalog = Catalog(tmp_path / "data")
    ensure_data(catalog.data_dir)  # nothing to build: every default layer is shipped
    assert not catalog.shapefile_dir.exists()
    assert catalog.path("parks") == SHIPPED / "parks.shp"
    assert len(catalog.layer("parks")) > 0 and len(catalog.boundaries("city")) > 0
    assert len(catalog.data_version()) == 12


def test_a_default_layer_in_the_data_folder_is_served_instead(tmp_path):
    catalog = Catalog(tmp_path / "data")
    before = catalog.data_version()
    catalog.shapefile_dir.mkdir(parents=True)
    for part in SHIPPED.glob("zones.*"):
        shutil.copy2(part, catalog.shapefile_dir)
    assert catalog.path("zones") == catalog.shapefile_dir / "zones.shp"
    assert catalog.path("parks") == SHIPPED / "parks.shp"
    assert catalog.data_version() != before


def test_the_first_import_over_a_shipped_layer_writes_only_to_the_data_folder(tmp_path):
    catalog = Catalog(tmp_path / "data")
    shipped_before = _digest(SHIPPED)
    parks = parcels_gdf(2, names=["甲园区", "乙园区"]).rename(
        columns={"name": "园区名称", "code": "园区代码", "area_ha": "面积(公顷)"})
    plan = importer.plan_import(catalog, "parks", make_geojson(tmp_path, parks), "parks.geojson")
    version = importer.commit_import(catalog, plan, actor="test")
    assert catalog.path("parks").is_relative_to(catalog.data_dir / "layers")
    assert catalog.layer("parks")["name_zh"].tolist() == ["甲园区", "乙园区"]
    snapshot = lv.versions(catalog.data_dir, "parks")[-1]  # what was served before: the shipped layer
    assert snapshot["origin"] == "default" and snapshot["version"] != version
    assert _digest(SHIPPED) == shipped_before
