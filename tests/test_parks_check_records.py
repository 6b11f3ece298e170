"""parks.check_records: a check run on a real file is stored whole, and bad input stores nothing."""

import geopandas as gpd
import pytest
import shapely
from fixtures_files import make_geojson, make_zipped_shapefile, parcels_gdf
from sqlalchemy import func, select

from core.errors import UserError
from parks import ledger
from parks.catalog import Catalog
from parks.check_records import load_check, run_check
from parks.ledger import NotFound
from store import audit
from store.db import Database
from store.models import AuditEntry, ParcelCheck

PARK01 = (113.846, 34.549)  # 3 parcels of 6 ha fit inside park-01's schematic circle from here


@pytest.fixture
def setup(tmp_path, built_data):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.create_all()
    cat = Catalog(built_data)
    ledger.seed(db, cat)
    yield db, cat
    db.dispose()


def count(db, model):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_run_check_stores_the_whole_result(setup, tmp_path):
    db, cat = setup
    gdf = parcels_gdf(3, lon=PARK01[0], lat=PARK01[1])
    path = make_zipped_shapefile(tmp_path, gdf, crs=4526, encoding="GBK", cpg=False)
    check_id = run_check(db, path, filename="地块.zip", catalog=cat, actor="li", declared="park-01")
    with db.read() as s:
        stored = load_check(s, check_id)
        line = audit.entries(s, audit.AuditFilter(action="check.run"))[0]
    assert stored.actor == "li" and stored.filename == "地块.zip"
    assert stored.meta["format"] == "shapefile" and stored.meta["declared"] == "park-01"
    assert stored.meta["encoding"].lower() in ("gbk", "gb18030")
    rows = stored.result.rows
    assert list(rows["label"]) == list(gdf["name"])
    assert set(rows["area_id"]) == {"park-01"}
    for ours, theirs in zip(rows.geometry, gdf.geometry, strict=True):
        assert shapely.equals_exact(shapely.normalize(ours), shapely.normalize(theirs), tolerance=1e-8)
    assert stored.parcel(2)["label"] == gdf["name"][1]
    with pytest.raises(NotFound):
        stored.parcel(4)
    assert line.target == f"check:{check_id}"
    assert audit.as_dict(line)["after"]["parcels"] == 3


def test_bad_input_writes_nothing(setup, tmp_path):
    db, cat = setup
    before = count(db, ParcelCheck), count(db, AuditEntry)
    empty = make_geojson(tmp_path, None)
    with pytest.raises(UserError):
        run_check(db, empty, filename="empty.geojson", catalog=cat, actor="li")
    points = gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely.Point(*PARK01)], crs=4490)
    with pytest.raises(UserError) as err:
        run_check(db, make_geojson(tmp_path, points, name="pts.geojson"), filename="pts.geojson",
                  catalog=cat, actor="li")
    assert err.value.code == "no_polygons"
    assert (count(db, ParcelCheck), count(db, AuditEntry)) == before


@pytest.mark.parametrize("check_id", [999, 0, -5, 10**25])
def test_missing_check_is_not_found(setup, check_id):
    db, _ = setup
    with pytest.raises(NotFound) as err, db.read() as s:
        load_check(s, check_id)
    assert err.value.status == 404
