import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.area import ellipsoidal_area_m2, gk_area_m2
from geo.crs import CGCS2000, gk_epsg, transform_geoms
from geo.units import m2_to_ha, m2_to_km2, m2_to_mu

GEOD = Geod(ellps="GRS80")


def test_henan_ellipsoidal_area_matches_published_figure(built_data):
    import geopandas as gpd

    henan = gpd.read_file(built_data / "shapefiles" / "boundary_province.shp").geometry[0]
    km2 = m2_to_km2(ellipsoidal_area_m2([henan])[0])
    # Published: about 167,000 km² (河南省 16.7万平方公里)
    assert 164_000 < km2 < 169_000
    geod_km2 = abs(GEOD.geometry_area_perimeter(henan)[0]) / 1e6
    assert km2 == pytest.approx(geod_km2, rel=1e-4)


def test_gk_planar_area_is_reported_beside_ellipsoidal():
    # A 1 km × 1 km square laid out in GK zone 38 (CM 114°E) near Zhengzhou.
    square = shapely.box(500_000, 3_820_000, 501_000, 3_821_000)
    lonlat = transform_geoms(square, 4547, CGCS2000)
    planar, zones = gk_area_m2([lonlat])
    assert zones[0] == 4547
    assert planar[0] == pytest.approx(1_000_000, rel=1e-6)
    ellipsoidal = ellipsoidal_area_m2([lonlat])[0]
    # On the central meridian GK scale is 1, so the two agree closely but are not identical.
    assert ellipsoidal == pytest.approx(planar[0], rel=1e-3)


@pytest.mark.parametrize("lon", [110.6, 112.4, 113.9, 115.6, 116.5])
def test_ellipsoidal_area_agrees_with_geod_within_001_percent(lon):
    rng = np.random.default_rng(int(lon * 10))
    parcels = [shapely.Polygon(np.column_stack([
        lon + 0.01 * np.cos(a) * r, 33.5 + 0.01 * np.sin(a) * r]))
        for a, r in ((np.sort(rng.uniform(0, 2 * np.pi, 12)), rng.uniform(0.3, 1.0, 12)),)]
    ours = ellipsoidal_area_m2(parcels)
    ref = [abs(GEOD.geometry_area_perimeter(p)[0]) for p in parcels]
    np.testing.assert_allclose(ours, ref, rtol=1e-4)


def test_units():
    assert m2_to_ha(10_000) == 1
    assert m2_to_mu(10_000) == pytest.approx(15)
    assert m2_to_km2(2_000_000) == 2


def test_gk_zone_choice_refuses_outside_henan():
    from geo.errors import CRSError

    assert gk_epsg(113.6) == 4547
    assert gk_epsg(111.2, zone_prefix=True) == 4525
    with pytest.raises(CRSError):
        gk_epsg(121.5)
