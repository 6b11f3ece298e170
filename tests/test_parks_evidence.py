"""Evidence cells read into labelled items, and the language a text is written in."""

from parks.evidence import evidence_items, text_language


def test_key_value_cells_become_items_and_values_keep_their_semicolons():
    cell = ("status=CANDIDATE, not confirmed; evidence=doc §三(五)1 names 智能终端 cluster; Foxconn "
            "campus is in the airport zone; strength=medium")
    assert evidence_items(cell) == [
        ("status", "CANDIDATE, not confirmed"),
        ("evidence", "doc §三(五)1 names 智能终端 cluster; Foxconn campus is in the airport zone"),
        ("strength", "medium")]


def test_free_text_is_one_item_and_text_before_the_first_key_is_kept():
    assert evidence_items("national since 1991; 2012: planned area 70 km2") == [
        (None, "national since 1991; 2012: planned area 70 km2")]
    assert evidence_items("context first; sector=biomedicine") == [
        (None, "context first"), ("sector", "biomedicine")]
    assert evidence_items("中原电气谷 = provincial cluster") == [(None, "中原电气谷 = provincial cluster")]
    assert evidence_items("") == [] and evidence_items(None) == []


def test_language_is_the_script_most_of_the_text_is_in():
    assert text_language("doc §三(五)1 names 智能终端 cluster") == "en"
    assert text_language("方案点名的重大项目（2012）") == "zh"
    assert text_language("https://zzrb.zynews.cn/html/2009-04/18/content_71363.htm") == "en"
