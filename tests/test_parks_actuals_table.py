"""parks.actuals_table: wide and long tables as statistics offices deliver them (CSV in UTF-8 or
GBK, XLSX), units converted, totals and notes skipped, and all or nothing."""

import io

import pytest
from openpyxl import Workbook

from parks.actuals import ActualError, Areas
from parks.actuals_table import import_table, parse_table, read_rows
from parks.catalog import Catalog
from store import audit
from store.models import Actual


@pytest.fixture(scope="module")
def areas(built_data):
    return Areas(Catalog(built_data))


def stored(db) -> dict:
    with db.read() as s:
        return {(a.area_id, a.year, a.metric): (a.value, a.source) for a in s.query(Actual).all()}


YEARBOOK_WIDE = """表3-12 2012—2013年各市示范园区主营业务收入
单位：万元
地区,2012年,2013年
郑州市,"3,500,000",5200000
洛阳,2400000,—
合计,5900000,5200000
注：2013年洛阳数据暂缺。
资料来源：《河南统计年鉴2014》
"""


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_yearbook_wide_table_in_gbk_with_units_totals_and_notes(ledger_db, areas):
    result = import_table(ledger_db, areas, YEARBOOK_WIDE.encode("gbk"), "收入.csv", actor="planner",
                          metric="revenue_yi")
    assert result["shape"] == "wide" and result["unit"] == "万元"
    assert result["counts"] == {"added": 3, "replaced": 0, "unchanged": 0}
    assert [s["zh"] for s in result["skipped"]] == ["合计行“合计”未导入"]
    assert stored(ledger_db) == {
        ("郑州市", 2012, "revenue_yi"): (pytest.approx(350), "《河南统计年鉴2014》"),
        ("郑州市", 2013, "revenue_yi"): (pytest.approx(520), "《河南统计年鉴2014》"),
        ("洛阳市", 2012, "revenue_yi"): (pytest.approx(240), "《河南统计年鉴2014》")}
    with ledger_db.read() as s:
        lines = audit.entries(s, audit.AuditFilter(action="actual.set"), limit=None)
    assert len(lines) == 3 and all(e.reason == "导入 / import: 收入.csv" for e in lines)


def test_the_forms_source_wins_over_none_and_a_wide_table_needs_its_metric(ledger_db, areas):
    table = "园区,2013\npark-04,5.2\n".encode()
    with pytest.raises(ActualError) as exc:
        import_table(ledger_db, areas, table, "t.csv", actor="p")
    assert exc.value.code == "bad_metric"
    with pytest.raises(ActualError) as exc:
        import_table(ledger_db, areas, table, "t.csv", actor="p", metric="built_up_km2")
    assert "第 2 行" in exc.value.zh and exc.value.details["rows"][0]["row"] == 2
    assert "source" in exc.value.details["rows"][0]["message_en"].lower()
    import_table(ledger_db, areas, table, "t.csv", actor="p", metric="built_up_km2", source="2013年调查")
    assert stored(ledger_db) == {("park-04", 2013, "built_up_km2"): (5.2, "2013年调查")}


def test_a_long_table_with_metric_unit_and_source_columns(ledger_db, areas):
    table = ("序号,地区,年份,指标,数值,单位,来源\n"
             "1,park-01,2013,built_up_km2,450,公顷,航空港区2013年报\n"
             "2,province,2013,investment_yi,4600000,万元,省发改委通报\n"
             "3,洛阳高新技术产业开发区,2012,enterprises,312,家,洛阳统计年鉴\n").encode()
    result = import_table(ledger_db, areas, table, "long.csv", actor="p")
    assert result["shape"] == "long" and result["counts"]["added"] == 3
    assert stored(ledger_db) == {
        ("park-01", 2013, "built_up_km2"): (pytest.approx(4.5), "航空港区2013年报"),  # 公顷 → km²
        ("province", 2013, "investment_yi"): (pytest.approx(460), "省发改委通报"),  # 万元 → 亿元
        ("zone-02", 2012, "enterprises"): (312, "洛阳统计年鉴")}


def test_an_xlsx_workbook_with_a_title_above_and_numbers_as_cells(ledger_db, areas):
    raw = xlsx([["2013年示范园区建成面积（平方公里）"], [], ["序号", "园区", 2012, 2013],
                [1, "park-04", 3.0, 5.2], [2, "Luoyang HTZ (silicon photovoltaics)", None, 3.1],
                ["资料来源：2013年土地变更调查"]])
    result = import_table(ledger_db, areas, raw, "建成面积.xlsx", actor="p", metric="built_up_km2")
    assert result["shape"] == "wide" and result["unit"] == "平方公里"
    assert stored(ledger_db) == {("park-04", 2012, "built_up_km2"): (3.0, "2013年土地变更调查"),
                                 ("park-04", 2013, "built_up_km2"): (5.2, "2013年土地变更调查"),
                                 ("park-06", 2013, "built_up_km2"): (3.1, "2013年土地变更调查")}


def test_one_bad_row_refuses_the_whole_table_and_names_every_bad_row(ledger_db, areas):
    table = ("地区,年份,数值\n郑州市,2013,5\n开封新区,2013,4\n洛阳市,2099,3\n郑州市,2013,6\n"
             "许昌市,2013,-2\n").encode()
    with pytest.raises(ActualError) as exc:
        import_table(ledger_db, areas, table, "t.csv", actor="p", metric="built_up_km2", source="s")
    rows = exc.value.details["rows"]
    assert [r["row"] for r in rows] == [3, 4, 5, 6]
    assert "开封新区" in rows[0]["message_zh"] and "Repeats row 2" in rows[2]["message_en"]
    assert "未写入任何数值" in exc.value.zh and "nothing was written" in exc.value.en
    assert stored(ledger_db) == {}


@pytest.mark.parametrize(("raw", "name", "code"), [
    (b"a,b\n1,2\n", "t.csv", "bad_table"),  # no header
    (b"PK\x03\x04broken", "t.xlsx", "bad_table"),
    (b"\xd0\xcf\x11\xe0 old excel", "t.xls", "bad_table"),
    ("地区,2013\n".encode(), "t.csv", "bad_table"),  # nothing to import
    ("单位：万元\n地区（亿元）,2013\n郑州市,5\n".encode(), "t.csv", "bad_table"),  # two units
])
def test_unreadable_tables_get_a_clear_answer(ledger_db, areas, raw, name, code):
    with pytest.raises(ActualError) as exc:
        import_table(ledger_db, areas, raw, name, actor="p", metric="revenue_yi", source="s")
    assert exc.value.code == code and exc.value.zh and exc.value.en
    assert stored(ledger_db) == {}


def test_a_unit_of_another_kind_is_refused_not_guessed(ledger_db, areas):
    with pytest.raises(ActualError) as exc:
        import_table(ledger_db, areas, "单位：公顷\n地区,2013\n郑州市,5\n".encode(), "t.csv", actor="p",
                     metric="revenue_yi", source="s")
    assert "公顷" in exc.value.details["rows"][0]["message_zh"]


def test_headers_in_english_and_tab_separated_text():
    table = parse_table(read_rows(b"Area\tYear\tValue\tSource\npark-02\t2013\t4.5\tYearbook\n", "t.tsv"))
    assert table.shape == "long" and table.entries[0].source == "Yearbook"
    first = table.entries[0]
    assert (first.area, first.year, first.value) == ("park-02", "2013", "4.5")
