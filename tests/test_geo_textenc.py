"""Attribute encodings: UTF-8 vs GBK/GB18030 detection, .cpg names, DBF text extraction."""

from __future__ import annotations

import pytest
from fixtures_files import make_shapefile, parcels_gdf

from geo import textenc
from geo.errors import GeoInputError


@pytest.mark.parametrize(("raw", "expected"), [
    ("郑州航空港".encode(), "utf-8"),
    ("郑州航空港".encode("gbk"), "gbk"),
    ("郑州航空港€".encode("gb18030"), "gb18030"),  # € is not in GBK
    (b"plain ascii", "utf-8"),
])
def test_detect(raw, expected):
    assert textenc.detect(raw) == expected


def test_latin1_text_is_not_mistaken_for_chinese():
    with pytest.raises(GeoInputError) as info:
        textenc.detect("Café à la crème, Straße".encode("latin-1"))
    assert info.value.code == "encoding" and info.value.zh and info.value.en


@pytest.mark.parametrize(("name", "expected"), [
    ("UTF-8", "utf-8"), ("65001", "utf-8"), ("936", "gbk"), ("CP936", "gbk"), ("GB2312", "gbk"),
    ("GB18030", "gb18030"), (" gbk\n", "gbk")])
def test_normalise(name, expected):
    assert textenc.normalise(name) == expected


def test_normalise_refuses_other_encodings():
    with pytest.raises(GeoInputError) as info:
        textenc.normalise("big5")
    assert info.value.code == "encoding"


def test_dbf_text_chunks_hold_names_and_text_only(tmp_path):
    shp = make_shapefile(tmp_path, parcels_gdf(2).rename(columns={"name": "名称"}), encoding="GBK",
                         cpg=False)
    chunks = textenc.dbf_text_chunks(shp.with_suffix(".dbf"))
    text = b"|".join(chunks).decode("gbk")
    assert "名称" in text and "航空港区一号地块" in text
    assert "6.0" not in text  # numeric fields are skipped
    assert textenc.detect_chunks(chunks) == "gbk"


def test_characters_cut_in_half_by_dbf_limits_are_forgiven_and_repaired(tmp_path):
    # "园区代码" is 12 bytes in UTF-8: the 10-byte DBF name limit cuts its last character.
    gdf = parcels_gdf(1).rename(columns={"code": "园区代码"})
    dbf = make_shapefile(tmp_path, gdf, encoding="UTF-8", cpg=False).with_suffix(".dbf")
    chunks = textenc.dbf_text_chunks(dbf)
    with pytest.raises(UnicodeDecodeError):
        b"".join(chunks).decode("utf-8")
    assert textenc.detect_chunks(chunks) == "utf-8"
    assert textenc.repair_dbf(dbf, "utf-8") == 1
    assert all(c.decode("utf-8") for c in textenc.dbf_text_chunks(dbf))
    assert "园区代" in [c.decode() for c in textenc.dbf_text_chunks(dbf)]


def test_decode_text_strips_bom_and_checks_user_choice():
    assert textenc.decode_text("坐标".encode("utf-8-sig")) == ("坐标", "utf-8", "detected")
    with pytest.raises(GeoInputError) as info:
        textenc.decode_text("坐标".encode("gbk"), "utf-8")
    assert info.value.code == "encoding"
