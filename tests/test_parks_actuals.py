"""parks.actuals: metrics from data, areas by id or name, checks of a figure, recording with its
audit line (on SQLite and PostgreSQL), concurrent writers, and recorded figures outranking
derived ones."""

import threading

import pandas as pd
import pytest

from parks import actuals
from parks.actuals import ActualError, Areas, check_figure, check_value, check_year, record
from parks.catalog import Catalog
from store import audit
from store.models import Actual


@pytest.fixture(scope="module")
def areas(built_data):
    return Areas(Catalog(built_data))


def figure(areas, area="park-04", year=2013, metric="built_up_km2", value=5.2, source="2013年土地变更调查"):
    return check_figure(areas, area=area, year=year, metric=metric, value=value, source=source)


def test_metrics_come_from_the_data_file_with_their_plan_targets_and_layer_columns():
    m = actuals.metrics()
    assert list(m) == ["built_up_km2", "investment_yi", "revenue_yi", "enterprises"]
    assert m["built_up_km2"].target == "parks_built_area" and m["built_up_km2"].fields == {
        2012: "a12_km2", 2013: "a13_km2"}
    assert m["revenue_yi"].plan_total(2013) == 3000 and m["investment_yi"].plan_total(2012) == 330
    assert m["enterprises"].target == "" and m["enterprises"].plan_total(2013) is None
    assert m["enterprises"].whole and not m["built_up_km2"].whole


def test_a_new_metric_is_a_new_row_of_the_file(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("key,name_zh,name_en,unit_zh,unit_en,target,field_2012,field_2013,whole,max\n"
                    "patents,专利授权,Patents granted,件,patents,,,,yes,\n", encoding="utf-8")
    known = actuals.read_metrics(path)
    assert known["patents"].name_en == "Patents granted" and known["patents"].max == float("inf")
    assert actuals.check_metric("patents", known).unit_zh == "件"
    with pytest.raises(ActualError) as exc:
        actuals.check_metric("built_up_km2", known)
    assert exc.value.code == "bad_metric" and "patents" in exc.value.en


@pytest.mark.parametrize(("text", "expected"), [
    ("park-04", "park-04"), ("洛阳（新材料；七二五研究所新厂区）", "park-04"), ("zone-02", "zone-02"),
    ("clu-09", "clu-09"), ("郑州市", "郑州市"), ("郑州", "郑州市"), ("Zhengzhou", "郑州市"),
    ("410300", "洛阳市"), ("city:洛阳市", "洛阳市"), ("province", "province"), ("全省", "province"),
    ("河南省", "province"), (" ＰＡＲＫ－０４ ", "park-04"),  # full-width, spaces, case
])
def test_areas_are_found_by_id_name_short_name_english_name_or_adcode(areas, text, expected):
    assert areas.find(text).id == expected


@pytest.mark.parametrize("text", ["park-99", "", "北京市"])
def test_an_unknown_area_is_refused_in_both_languages(areas, text):
    with pytest.raises(ActualError) as exc:
        areas.find(text)
    assert exc.value.code == "bad_area" and exc.value.status == 400
    assert "区域" in exc.value.zh and "area" in exc.value.en.lower()


@pytest.mark.parametrize(("raw", "year"), [(2013, 2013), ("2013", 2013), ("2013年", 2013),
                                           (2012.0, 2012), ("２０１３", 2013)])
def test_years_as_forms_json_and_spreadsheets_give_them(raw, year):
    assert check_year(raw) == year


@pytest.mark.parametrize("raw", [1999, "2099", "13", "二〇一三", None, "", True, 2013.5])
def test_a_bad_year_is_refused(raw):
    with pytest.raises(ActualError) as exc:
        check_year(raw)
    assert exc.value.code == "bad_year" and "2013" in exc.value.zh and "four digits" in exc.value.en


def test_values_are_numbers_in_range_and_whole_where_things_are_counted():
    built, firms = actuals.metrics()["built_up_km2"], actuals.metrics()["enterprises"]
    assert check_value("1,600.5", built) == 1600.5 and check_value(0, built) == 0
    assert check_value("12", firms) == 12 and check_value(12.0, firms) == 12
    for raw, metric in [(-1, built), ("abc", built), ("", built), (None, built), ("nan", built),
                        ("inf", built), (2001, built), (True, built), (1.5, firms)]:
        with pytest.raises(ActualError) as exc:
            check_value(raw, metric)
        assert exc.value.code == "bad_value", raw
    with pytest.raises(ActualError) as exc:
        check_value(1.5, firms)
    assert "整数" in exc.value.zh and "whole number" in exc.value.en


def test_source_is_required_and_basis_is_sourced(areas):
    for source in ("", "   ", None, "x" * 501):
        with pytest.raises(ActualError) as exc:
            figure(areas, source=source)
        assert exc.value.code == "source_required"
    assert figure(areas).basis == "sourced"
    with pytest.raises(ActualError) as exc:
        check_figure(areas, area="park-04", year=2013, metric="built_up_km2", value=1, source="s",
                     basis="derived")
    assert exc.value.code == "bad_basis"


def test_recording_adds_replaces_and_keeps_the_replaced_figure_in_the_audit(ledger_db, areas):
    first = record(ledger_db, [figure(areas)], actor="planner", reason="年报")
    assert first[0]["change"] == "added" and first[0]["before"] is None
    again = record(ledger_db, [figure(areas)], actor="planner")
    assert again[0]["change"] == "unchanged"
    second = record(ledger_db, [figure(areas, value=5.5, source="2013年遥感监测")], actor="li")
    assert second[0]["change"] == "replaced"
    assert second[0]["before"]["value"] == 5.2 and second[0]["before"]["source"] == "2013年土地变更调查"
    with ledger_db.read() as s:
        rows = s.query(Actual).all()
        lines = audit.entries(s, audit.AuditFilter(action="actual.set"), limit=None)
    assert [(r.area_id, r.year, r.metric, r.value, r.basis, r.updated_by) for r in rows] == [
        ("park-04", 2013, "built_up_km2", 5.5, "sourced", "li")]
    assert len(lines) == 2  # the unchanged one wrote no line
    newest = audit.as_dict(lines[0])
    assert newest["target"] == "park-04@2013:built_up_km2" and newest["actor"] == "li"
    assert newest["before"]["value"] == 5.2 and newest["after"]["value"] == 5.5
    assert audit.as_dict(lines[1])["reason"] == "年报"


def test_a_batch_is_one_transaction(ledger_db, areas, monkeypatch):
    from store import actuals as stored

    calls = []
    real = stored.upsert

    def failing_second(session, **kw):
        calls.append(kw["area_id"])
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(session, **kw)

    monkeypatch.setattr(stored, "upsert", failing_second)
    with pytest.raises(RuntimeError):
        record(ledger_db, [figure(areas), figure(areas, area="park-01")], actor="planner")
    with ledger_db.read() as s:
        assert s.query(Actual).count() == 0
        assert audit.entries(s, audit.AuditFilter(action="actual.set"), limit=None) == []


def test_concurrent_writers_of_one_figure_lose_nothing(ledger_db, areas):
    workers = 8
    barrier = threading.Barrier(workers)
    errors = []

    def planner(i):
        barrier.wait()
        try:
            record(ledger_db, [figure(areas, value=float(i), source=f"report {i}")], actor=f"p{i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=planner, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with ledger_db.read() as s:
        rows = s.query(Actual).all()
        lines = [audit.as_dict(e)
                 for e in audit.entries(s, audit.AuditFilter(action="actual.set"), limit=None)]
    assert len(rows) == 1  # one row per area, year and metric
    assert len(lines) == workers  # every write is in the trail …
    assert sum(line["before"] is None for line in lines) == 1  # … one insert, the rest replacements
    chain = list(reversed(lines))  # oldest first: each replaced figure is the one written before it
    for older, newer in zip(chain, chain[1:], strict=False):
        assert newer["before"]["value"] == older["after"]["value"]
    assert rows[0].value == chain[-1]["after"]["value"]


def test_recorded_figures_outrank_the_layers_derived_ones(built_data):
    parks = Catalog(built_data).layer("parks")
    recorded = pd.DataFrame([["park-04", 2013, "built_up_km2", 5.2, "sourced", "调查", "p", None],
                             ["park-04", 2012, "revenue_yi", 120.0, "sourced", "年鉴", "p", None],
                             ["郑州市", 2013, "built_up_km2", 9.0, "sourced", "x", "p", None]],
                            columns=actuals.COLUMNS)
    out = actuals.with_actuals(parks, recorded).set_index("id")
    assert out.at["park-04", "a13_km2"] == 5.2 and out.at["park-04", "a13_km2_basis"] == "sourced"
    assert out.at["park-04", "a13_km2_src"] == "调查"
    assert out.at["park-04", "a12_km2"] == pytest.approx(50 / 16)
    assert out.at["park-04", "a12_km2_basis"] == "derived"
    assert out.at["park-04", "rev12_yi"] == 120 and out.at["park-04", "rev13_yi"] == pytest.approx(3000 / 16)
    assert out.at["park-01", "a13_km2_basis"] == "derived" and out.at["park-01", "a13_km2_src"] == ""
    assert parks.set_index("id").at["park-04", "a13_km2"] == pytest.approx(65 / 16)  # the layer is untouched
    assert actuals.outranks("sourced", "derived") and actuals.outranks("sourced", "user")
    assert not actuals.outranks("derived", "sourced")
