"""The catalog's light reads (columns without geometry, bounds, features by position, samples)
give the answers of the whole read, on the shipped layers and on a fictional layer of a few
thousand parcels; and what is built on them serves a big layer without ever loading it whole:
the overview, search, a feature by id, ``/healthz``, the bulk ledger seed, a parcel check."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fixtures_files import make_geojson, rect_m
from sqlalchemy import func, select

from benchmarks.synthetic import fictional_parcels, install_layer
from parks import ledger
from parks.catalog import THEMATIC, Catalog
from parks.check_records import load_check, run_check
from store import audit
from store.models import AuditEntry, Quota

FICTIONAL = 3_000  # over the overview's inline limit (2,000): drawn from tiles
SHOWN = ("id", "name_zh", "name_en", "city", "kind", "status_zh", "ind_zh")


@pytest.fixture(scope="module")
def parcels(built_data):
    """:data:`FICTIONAL` fictional parcels shaped like ``zones``."""
    return fictional_parcels(Catalog(built_data), "zones", FICTIONAL, seed=7)


@pytest.fixture(scope="module")
def big_data(built_data, parcels, tmp_path_factory):
    """A data folder whose ``zones`` is the fictional layer."""
    data = tmp_path_factory.mktemp("big") / "data"
    shutil.copytree(built_data, data)
    install_layer(data, "zones", parcels)
    return data


@pytest.fixture
def whole_loads_refused(monkeypatch):
    """``Catalog.layer`` of the big layer fails: what passes never loaded it whole."""
    whole = Catalog.layer

    def layer(self, name, **kw):
        assert name != "zones", "the big layer was loaded whole"
        return whole(self, name, **kw)

    monkeypatch.setattr(Catalog, "layer", layer)


def texts(frame) -> list[list[str]]:
    return frame.astype(object).where(frame.notna(), "").astype(str).to_numpy().tolist()


def assert_light_reads_match_whole(cat: Catalog, name: str) -> None:
    whole = cat.layer(name)
    columns = [c for c in SHOWN if c in whole.columns]
    light = cat.attributes(name, [*columns, "no_such_column"])
    assert list(light.columns) == columns and len(light) == len(whole)
    assert texts(light) == texts(whole[columns])
    located = whole.geometry.notna().to_numpy()
    assert (cat.located(name) == located).all()
    np.testing.assert_allclose(cat.bounds(name)[located], whole.geometry.bounds.to_numpy()[located])
    assert np.isnan(cat.bounds(name)[~located]).all()

    picked = np.unique([0, len(whole) // 2, len(whole) - 1])
    positions = cat.positions(name, [*whole["id"].iloc[picked], "no-such-id"])
    assert positions.tolist() == picked.tolist()
    read = cat.features(name, positions)
    expected = whole.iloc[picked].reset_index(drop=True)
    assert read.crs == whole.crs and list(read.columns) == list(whole.columns)
    assert texts(read.drop(columns="geometry")) == texts(expected.drop(columns="geometry"))
    assert all(shapely.equals_exact(a, b, 1e-9) if a is not None else b is None
               for a, b in zip(read.geometry, expected.geometry, strict=True))
    assert len(cat.features(name, [])) == 0

    west, south, east, north = whole.total_bounds
    box = (west, south, (west + east) / 2, (south + north) / 2)
    assert cat.positions_in(name, box).tolist() == sorted(whole.sindex.query(shapely.box(*box)).tolist())

    sample = cat.sample(name, 7)
    assert len(sample) == min(7, len(whole)) and set(sample["id"]) <= set(whole["id"])
    everything = cat.sample(name, len(whole) + 5)
    assert texts(everything["id"].to_frame()) == texts(whole[["id"]])


@pytest.mark.parametrize("name", [info.name for info in THEMATIC])
def test_light_reads_of_the_shipped_layers_match_the_whole_read(built_data, name):
    assert_light_reads_match_whole(Catalog(built_data), name)


def test_light_reads_of_a_fictional_layer_of_thousands_match_the_whole_read(big_data):
    cat = Catalog(big_data)
    assert cat.feature_count("zones") == FICTIONAL
    assert_light_reads_match_whole(cat, "zones")


def test_a_new_layer_version_is_read_afresh(built_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(built_data, data)
    cat = Catalog(data)
    assert len(cat.attributes("zones", ["id"])) == 12 and len(cat.bounds("zones")) == 12
    assert cat.geometry_types("zones") == {"Polygon"}
    parcels = fictional_parcels(cat, "zones", 40, seed=3)
    parcels.loc[5, "geometry"] = shapely.MultiPolygon([parcels.geometry[5], parcels.geometry[30]])
    install_layer(data, "zones", parcels)
    assert len(cat.attributes("zones", ["id"])) == 40 and len(cat.bounds("zones")) == 40
    assert cat.geometry_types("zones") == {"Polygon", "MultiPolygon"}
    assert cat.attributes("zones", ["name_en"])["name_en"].str.startswith("(fictional)").all()


@pytest.fixture
def big_client(app, data_dir, parcels, whole_loads_refused):
    install_layer(data_dir, "zones", parcels)
    return app.test_client()


def test_overview_search_features_and_park_pages_never_load_a_big_layer(big_client):
    html = big_client.get("/?lang=zh").get_data(as_text=True)
    assert "/tiles/zones.json" in html and "（虚构）zones 2999" not in html
    found = big_client.get("/api/features/zones", query_string={"q": "(fictional) zones 2999"}).get_json()
    assert found["total"] == 1 and found["features"][0]["id"] == "fict-0002999"
    west, south, east, north = found["bbox"]
    lon, lat = found["features"][0]["lon"], found["features"][0]["lat"]
    assert west < lon < east and south < lat < north
    feature = big_client.get("/api/features/zones/fict-0002999").get_json()
    assert feature["id"] == "fict-0002999" and feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["fictional"] == 1 and "（虚构）" in feature["popup_html"]
    assert big_client.get("/api/features/zones/fict-9999999").status_code == 404
    park = big_client.get("/parks/park-01", query_string={"lang": "en"})  # neighbours read by extent
    assert park.status_code == 200 and "(fictional) zones" in park.get_data(as_text=True)


def test_healthz_checks_a_big_layer_from_its_header_and_a_sample(app, data_dir, parcels,
                                                                whole_loads_refused):
    install_layer(data_dir, "zones", parcels)
    ok = app.test_client().get("/healthz")
    assert ok.status_code == 200 and ok.get_json()["checks"]["layers"] == "ok"
    damaged = parcels.copy()
    damaged.loc[0, "loc_prec"] = "somewhere"  # the first feature is in every sample
    install_layer(data_dir, "zones", damaged)
    bad = app.test_client().get("/healthz")
    assert bad.status_code == 503
    assert "zones" in bad.get_json()["checks"]["layers"] and "loc_prec" in bad.get_json()["checks"]["layers"]


def test_ledger_seed_of_a_big_layer_is_one_bulk_insert_and_one_audit_line(ledger_db, big_data):
    cat = Catalog(big_data)
    parks = len(cat.attributes("parks", ["id"]))
    assert ledger.seed(ledger_db, cat) == parks + FICTIONAL
    assert ledger.seed(ledger_db, cat) == 0  # each layer version is seeded once
    with ledger_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Quota).where(Quota.kind == "zone")) == FICTIONAL
        row = s.scalars(select(Quota).where(Quota.area_id == "fict-0001234")).one()
        lines = audit.entries(s, audit.AuditFilter(action="quota.seed"), limit=None)
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 2
    assert (row.kind, row.quota_m2, row.basis) == ("zone", None, "none")
    assert row.name_en == "(fictional) zones 1234"
    zones = next(e for e in lines if e.target.startswith("zones:"))
    assert zones.target == f"zones:{cat.layer_version('zones')}@{ledger.SEED_YEAR}"
    assert audit.as_dict(zones)["after"] == {"rows": FICTIONAL, "derived": 0}


def test_parcel_check_reads_only_the_areas_around_the_parcels(ledger_db, big_data, tmp_path,
                                                               whole_loads_refused):
    cat = Catalog(big_data)
    ledger.seed(ledger_db, cat)
    target = cat.features("zones", cat.positions("zones", ["fict-0000042"]))
    centre = target.geometry.iloc[0].centroid
    square = rect_m(centre.x, centre.y, 30, 30, dx_m=-15, dy_m=-15)
    parcel = gpd.GeoDataFrame({"name": ["DK1"]}, geometry=[square], crs=4490)
    path = make_geojson(tmp_path, parcel)
    check_id = run_check(ledger_db, path, filename="p.geojson", catalog=cat, actor="li")
    with ledger_db.read() as s:
        rows = load_check(s, check_id).result.rows
    assert rows["area_id"].tolist() == ["fict-0000042"]


def test_ledger_of_a_big_layer_is_listed_a_page_at_a_time(app, data_dir, parcels, sign_in):
    client = sign_in("land_staff", username="clerk")
    before = client.get("/api/quota/ledger").get_json()["total"]  # the shipped parks and zones
    install_layer(data_dir, "zones", parcels)
    first = client.get("/api/quota/ledger").get_json()  # the new version's zones get their rows
    assert first["total"] == before + FICTIONAL and first["pages"] == -(-first["total"] // 500)
    assert len(first["areas"]) == 500 and first["areas"][0]["kind"] == "park"
    listed = [a["area_id"] for p in range(1, first["pages"] + 1)
              for a in client.get("/api/quota/ledger", query_string={"page": p}).get_json()["areas"]]
    assert len(set(listed)) == len(listed) == first["total"] and "fict-0002999" in listed
    assert client.get("/api/quota/ledger", query_string={"page": "0"}).status_code == 400
    page = client.get("/quota/", query_string={"page": 2, "lang": "en"}).get_data(as_text=True)
    assert "Page 2 of 7" in page and "(fictional) zones" in page and "no footprint" not in page
    area = client.get("/quota/areas/fict-0001234", query_string={"lang": "en"})
    assert area.status_code == 200 and "(fictional) zones 1234" in area.get_data(as_text=True)
