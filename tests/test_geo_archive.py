"""Safe unzipping: zip-slip, zip bombs (declared and actual sizes), GBK member names."""

from __future__ import annotations

import io
import zipfile

import pytest
from fixtures_files import make_zip_bomb, make_zip_slip

from geo.archive import copy_capped, extract_zip
from geo.errors import GeoInputError


def test_extracts_into_the_folder_and_skips_mac_junk(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("成果/parcels.shp", b"x")
        zf.writestr("__MACOSX/成果/._parcels.shp", b"junk")
    out = extract_zip(path, tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in out] == ["成果/parcels.shp"]


def test_gbk_member_names_from_chinese_windows_are_decoded(tmp_path):
    path = tmp_path / "gbk.zip"
    info = zipfile.ZipInfo("placeholder")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, b"x")
    raw = path.read_bytes().replace(b"placeholder", "地块一.shp".encode("gbk").ljust(11, b"_"))
    path.write_bytes(raw)
    out = extract_zip(path, tmp_path / "out")
    assert out[0].name == "地块一.shp_"


@pytest.mark.parametrize("name", ["../evil.shp", "/etc/evil.shp", "C:/evil.shp", "a/../../evil.shp"])
def test_zip_slip_is_refused_before_anything_is_written(tmp_path, name):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ok.shp", b"x")
        zf.writestr(name, b"x")
    with pytest.raises(GeoInputError) as info:
        extract_zip(path, tmp_path / "out")
    assert info.value.code == "zip_slip"
    assert not (tmp_path / "out").exists()


def test_fixture_zip_slip(tmp_path):
    with pytest.raises(GeoInputError) as info:
        extract_zip(make_zip_slip(tmp_path), tmp_path / "out")
    assert info.value.code == "zip_slip"


def test_declared_ratio_and_total_are_checked_before_extracting(tmp_path):
    bomb = make_zip_bomb(tmp_path, expanded_mb=8)
    with pytest.raises(GeoInputError) as info:
        extract_zip(bomb, tmp_path / "out")
    assert info.value.code == "zip_bomb" and "1:" not in info.value.en.split("ratio")[0]
    assert not (tmp_path / "out").exists()
    with pytest.raises(GeoInputError) as info:
        extract_zip(bomb, tmp_path / "out2", max_bytes=4 * 2**20, max_ratio=10_000)
    assert info.value.code == "zip_bomb" and "MB" in info.value.en


def test_lying_sizes_never_inflate_past_the_declared_size(tmp_path):
    liar = make_zip_bomb(tmp_path, expanded_mb=8, declare_small=True)
    with pytest.raises(GeoInputError) as info:
        extract_zip(liar, tmp_path / "out")
    assert info.value.code in ("zip_bomb", "bad_zip")
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written <= 2 * 2**20


def test_stream_cap_counts_actual_bytes():
    dst = io.BytesIO()
    assert copy_capped(io.BytesIO(b"a" * 1000), dst, 1000) == 1000
    with pytest.raises(GeoInputError) as info:
        copy_capped(io.BytesIO(b"a" * (3 << 20)), io.BytesIO(), 2 << 20)
    assert info.value.code == "zip_bomb"


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"this is not a zip")
    with pytest.raises(GeoInputError) as info:
        extract_zip(path, tmp_path / "out")
    assert info.value.code == "bad_zip"
