"""Reading tables of actual figures as statistics offices deliver them (CSV or XLSX).

Two shapes are read:

* **wide** — areas as rows, years as columns (``地区 | 2012 | 2013``; "2013年" works too), one
  metric per table (chosen on the upload form);
* **long** — one figure per row with columns for area, year and value, and optionally metric,
  unit and source (``地区 | 年份 | 指标 | 数值 | 单位 | 来源``, or the English names).

Around the table, as in a yearbook: title lines above the header (a unit in them, "单位：万元"
or "（万元）", converts the values to the metric's unit), notes below it ("注：…", and
"资料来源：…", which is the source when the form gives none), total rows (合计, 总计…) that are
skipped (record the province figure as 全省 instead), and empty cells or dashes for figures
not available. CSV text may be UTF-8 or GBK/GB18030 (:mod:`geo.textenc`).

Every row is checked before anything is stored (:func:`import_table`): one bad row refuses the
whole table with the rows named, so a table is recorded completely or not at all.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from geo.textenc import decode_text
from geo.units import M2_PER_HA, M2_PER_MU
from parks.actuals import ActualError, Areas, Figure, Metric, check_figure, check_metric, record
from store.db import Database

HEADER_SCAN_ROWS = 30
MAX_FIGURES = 20_000
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
ERRORS_SHOWN = 20
COLUMN_NAMES = {
    "area": ("地区", "区域", "地区名称", "区域名称", "园区", "园区名称", "名称", "单位名称", "市", "城市",
             "编号", "area", "region", "name", "park", "id"),
    "year": ("年份", "年度", "年", "year"),
    "metric": ("指标", "指标代码", "指标名称", "metric", "indicator"),
    "value": ("数值", "值", "数据", "实际值", "value", "actual"),
    "unit": ("单位", "计量单位", "unit"),
    "source": ("来源", "资料来源", "数据来源", "source"),
}
TOTAL_ROWS = ("合计", "总计", "小计", "总量", "total", "sum")
NOT_AVAILABLE = ("", "-", "—", "——", "–", "…", "...", "/", "x", "n/a", "na")
NOTE_PREFIX = re.compile(r"^(注|说明|备注|note)\s*[:：\d]", re.I)
SOURCE_NOTE = re.compile(r"^(资料来源|数据来源|来源|source)\s*[:：]\s*(.+)$", re.I)
YEAR_CELL = re.compile(r"^((?:19|20)\d\d)(?:\.0+)?\s*年?(?:末|底|度)?$")
#: units a table may state, as factors to each metric unit (longest names first when matching)
UNIT_FACTORS = {
    "亿元": {"亿元": 1.0, "万元": 1e-4, "元": 1e-8},
    "km²": {"km²": 1.0, "km2": 1.0, "平方公里": 1.0, "平方千米": 1.0, "公顷": M2_PER_HA / 1e6,
            "ha": M2_PER_HA / 1e6, "亩": M2_PER_MU / 1e6, "万平方米": 0.01},
    "家": {"家": 1.0, "个": 1.0},
}


@dataclass
class Entry:
    """One figure as read from the table, not yet checked."""

    row: int  # the row number a spreadsheet shows
    area: str
    year: object
    value: object
    metric: str | None = None
    unit: str | None = None
    source: str | None = None


@dataclass
class Table:
    shape: str  # "wide" | "long"
    entries: list[Entry]
    unit: str | None = None  # stated above or in the header
    source: str | None = None  # "资料来源：…" below the table
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (row, zh, en)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _bad_table(zh: str, en: str) -> ActualError:
    return ActualError(zh, en, code="bad_table")


def read_rows(raw: bytes, filename: str) -> list[list]:
    """The cells of a CSV or XLSX file as rows (XLSX: the first worksheet, values not formulas)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(raw)
    if name.endswith((".csv", ".txt", ".tsv")):
        text, _, _ = decode_text(raw)
        dialect = csv.excel_tab if "\t" in text.split("\n", 1)[0] else csv.excel
        return list(csv.reader(io.StringIO(text), dialect))
    raise _bad_table("表格须为 .csv 或 .xlsx 文件（旧版 .xls 请在 Excel/WPS 中另存为 .xlsx）。",
                     "The table must be a .csv or .xlsx file (save an old .xls as .xlsx in Excel "
                     "or WPS).")


def _xlsx_rows(raw: bytes) -> list[list]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    unreadable = _bad_table("无法读取该 .xlsx 文件（文件损坏或不是 Excel 工作簿）。",
                            "Cannot read the .xlsx file (damaged, or not an Excel workbook).")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise unreadable from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise _bad_table("该 .xlsx 文件解压后过大，已拒绝。请只保留所需的表格。",
                         "The .xlsx expands too far and was refused: keep only the table needed.")
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, OSError) as exc:
        raise unreadable from exc


def _role(text: str) -> str | None:
    key = text.casefold()
    key = re.sub(r"[（(].*?[)）]", "", key).strip()  # "数值（亿元）" → "数值"
    return next((role for role, names in COLUMN_NAMES.items() if key in names), None)


def _stated_unit(texts: list[str]) -> str | None:
    """The unit named in ``texts`` (title lines, header cells): "单位：万元", "（亿元）"…"""
    names = sorted({u for factors in UNIT_FACTORS.values() for u in factors}, key=len, reverse=True)
    found = set()
    for text in texts:
        for m in re.finditer(r"单位\s*[:：]\s*([^\s,，;；)）]+)|[（(]([^()（）]+)[)）]", text):
            inner = (m.group(1) or m.group(2)).strip()
            unit = next((u for u in names if inner == u or inner.endswith(u)), None)
            if unit:
                found.add(unit)
    if len(found) > 1:
        raise _bad_table(f"表中写有多个单位（{'、'.join(sorted(found))}），无法确定数值的单位。"
                         "请统一后再导入。",
                         f"The table names several units ({', '.join(sorted(found))}); make them "
                         "one and import again.")
    return found.pop() if found else None


def parse_table(rows: list[list]) -> Table:
    """Find the header, the shape and the figures of a table (rows of cells)."""
    cells = [[_cell(c) for c in r] for r in rows]
    for i, header in enumerate(cells[:HEADER_SCAN_ROWS]):
        roles = [_role(c) for c in header]
        years = [bool(YEAR_CELL.match(c)) for c in header]
        if {"area", "year", "value"} <= set(roles):
            table = _long(cells, i, roles)
        elif sum(years) and any(c and not y for c, y in zip(header, years, strict=True)):
            table = _wide(cells, i, years)
        else:
            continue
        above = [c for r in cells[:i] for c in r if c] + [c for c in header if c]
        table.unit = _stated_unit(above)
        return table
    raise _bad_table(
        "找不到表头：宽表须有一列地区和若干年份列（如 地区 | 2012 | 2013），长表须有 地区、年份、数值 列。",
        "No header found: a wide table needs an area column and year columns (area | 2012 | 2013), "
        "a long table the columns area, year and value.")


def _footer(table: Table, first: str) -> bool:
    """Notes below the table: not figures; "资料来源：…" becomes the table's source."""
    m = SOURCE_NOTE.match(first)
    if m:
        table.source = m.group(2).strip()
        return True
    return bool(NOTE_PREFIX.match(first))


def _is_total(text: str) -> bool:
    return re.sub(r"\s+", "", text).casefold() in TOTAL_ROWS


def _wide(cells: list[list[str]], at: int, years: list[bool]) -> Table:
    header = cells[at]
    named = [j for j, c in enumerate(header) if _role(c) == "area"]  # not a 序号 column before it
    area_col = named[0] if named else next(j for j, (c, y) in enumerate(zip(header, years, strict=True))
                                           if c and not y)
    table = Table("wide", [])
    for n, r in enumerate(cells[at + 1:], start=at + 2):
        r = r + [""] * (len(header) - len(r))
        area = r[area_col]
        if not any(r) or _footer(table, next(c for c in r if c)):
            continue
        if _is_total(area):
            table.skipped.append((n, f"合计行“{area}”未导入", f"total row '{area}' not imported"))
            continue
        for j, is_year in enumerate(years):
            if not is_year:
                continue
            if r[j].casefold() in NOT_AVAILABLE:
                continue
            table.entries.append(Entry(n, area, YEAR_CELL.match(header[j]).group(1), r[j]))
    return table


def _long(cells: list[list[str]], at: int, roles: list[str | None]) -> Table:
    col = {role: roles.index(role) for role in COLUMN_NAMES if role in roles}
    table = Table("long", [])
    for n, r in enumerate(cells[at + 1:], start=at + 2):
        r = r + [""] * (len(roles) - len(r))
        area = r[col["area"]]
        if not any(r) or _footer(table, next(c for c in r if c)):
            continue
        if _is_total(area):
            table.skipped.append((n, f"合计行“{area}”未导入", f"total row '{area}' not imported"))
            continue
        if r[col["value"]].casefold() in NOT_AVAILABLE:
            continue
        table.entries.append(Entry(n, area, r[col["year"]], r[col["value"]],
                                   *(r[col[k]] or None if k in col else None
                                     for k in ("metric", "unit", "source"))))
    return table


def _scaled(entry: Entry, metric: Metric, unit: str | None):
    """The entry's value in the metric's unit (a unit the table states converts it)."""
    unit = entry.unit or unit
    if not unit:
        return entry.value
    factors = UNIT_FACTORS.get(metric.unit_zh, {metric.unit_zh: 1.0})
    factor = next((f for u, f in sorted(factors.items(), key=lambda kv: -len(kv[0])) if unit.endswith(u)),
                  None)
    if factor is None:
        raise ActualError(f"单位“{unit}”不能换算为“{metric.name_zh}”的单位 {metric.unit_zh}。",
                          f"The unit '{unit}' does not convert to the {metric.name_en.lower()} unit, "
                          f"{metric.unit_en}.", code="bad_value")
    try:
        return float(str(entry.value).replace(",", "")) * factor
    except ValueError:
        return entry.value  # check_value names the bad cell


def check_table(table: Table, areas: Areas, *, metric: str | None, source: str | None) -> list[Figure]:
    """Every entry checked; :class:`ActualError` naming the bad rows when any is wrong."""
    if not table.entries:
        raise _bad_table("表中没有可导入的数值。", "The table holds no figures to import.")
    if len(table.entries) > MAX_FIGURES:
        raise _bad_table(f"一次至多导入 {MAX_FIGURES} 个数值，请拆分表格。",
                         f"At most {MAX_FIGURES} figures per import: split the table.")
    if table.shape == "wide" and not metric:
        raise ActualError("宽表（年份为列）只含一个指标：请选择指标。",
                          "A wide table (years as columns) holds one metric: choose it.",
                          code="bad_metric")
    figures, errors, seen = [], [], {}
    for e in table.entries:
        try:
            m = check_metric(e.metric or metric)
            f = check_figure(areas, area=e.area, year=e.year, metric=m.key, value=_scaled(e, m, table.unit),
                             source=e.source or source or table.source)
        except ActualError as exc:
            errors.append({"row": e.row, "message_zh": exc.zh, "message_en": exc.en})
            continue
        if f.target in seen:
            errors.append({"row": e.row, "message_zh": f"与第 {seen[f.target]} 行重复（{f.target}）。",
                           "message_en": f"Repeats row {seen[f.target]} ({f.target})."})
            continue
        seen[f.target] = e.row
        figures.append(f)
    if errors:
        rows = "、".join(str(e["row"]) for e in errors[:ERRORS_SHOWN])
        raise ActualError(f"表中有 {len(errors)} 行不能导入（第 {rows} 行），未写入任何数值。",
                          f"{len(errors)} row(s) cannot be imported (rows {rows.replace('、', ', ')}); "
                          "nothing was written.", code="bad_table", details={"rows": errors[:ERRORS_SHOWN]})
    return figures


def import_table(db: Database, areas: Areas, raw: bytes, filename: str, *, actor: str,
                 metric: str | None = None, source: str | None = None) -> dict:
    """Read, check and store a table of figures (all or nothing). Returns the shape, the unit
    read, the counts of figures added / replaced / unchanged, the skipped rows and the results."""
    table = parse_table(read_rows(raw, filename))
    figures = check_table(table, areas, metric=metric and check_metric(metric).key, source=source)
    results = record(db, figures, actor=actor, reason=f"导入 / import: {filename}")
    counts = {c: sum(r["change"] == c for r in results) for c in ("added", "replaced", "unchanged")}
    return {"shape": table.shape, "unit": table.unit, "counts": counts, "results": results,
            "skipped": [{"row": n, "zh": zh, "en": en} for n, zh, en in table.skipped]}
