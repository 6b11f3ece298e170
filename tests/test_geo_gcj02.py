import numpy as np
import pytest
import shapely

from geo.gcj02 import (
    bd09_to_wgs84,
    convert_geometries,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)


def test_known_point_beijing_station():
    lon, lat = wgs84_to_gcj02(116.42079, 39.90105)
    assert lon == pytest.approx(116.42703, abs=2e-5)
    assert lat == pytest.approx(39.90245, abs=2e-5)


def test_round_trips_are_sub_metre():
    lon = np.linspace(110.5, 116.5, 7)
    lat = np.linspace(31.5, 36.3, 7)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    np.testing.assert_allclose(back, (lon, lat), atol=1e-7)
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    np.testing.assert_allclose(back, (lon, lat), atol=1e-6)


def test_offset_in_henan_is_hundreds_of_metres():
    glon, glat = wgs84_to_gcj02(113.65, 34.76)
    assert 0.001 < abs(glon - 113.65) < 0.01 and 0.0005 < abs(glat - 34.76) < 0.01


def test_convert_geometries():
    p = shapely.Point(*wgs84_to_gcj02(113.65, 34.76))
    (q,) = convert_geometries([p], "gcj02")
    assert q.x == pytest.approx(113.65, abs=1e-7)
