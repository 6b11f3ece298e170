"""What each importable layer holds, and how a delivered file's columns map onto it.

Delivered files name their columns in Chinese (园区名称, 面积（公顷）, 主导产业…), in pinyin
initials (YQMC, MJ) or in English. :func:`suggest_mapping` proposes a column for each field by
its known names; the admin confirms or corrects it. Area and money columns carry their unit in
the name ("面积(公顷)", "投资（万元）"), which :func:`unit_of` reads so values are converted to
the layer's unit (km², 亿元).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from core.errors import UserError


@dataclass(frozen=True)
class Field:
    name: str  # column in the layer (≤ 10 characters: DBF)
    kind: str  # "text" | "number"
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    unit: str | None = None  # "km2" | "yi" for converted numbers


#: unit -> factor to the layer's unit, and the labels shown
AREA_UNITS = {"km2": 1.0, "ha": 0.01, "mu": 1 / 1500, "m2": 1e-6}
MONEY_UNITS = {"yi": 1.0, "wan": 1e-4, "yuan": 1e-8}
UNIT_LABELS = {"km2": ("平方公里", "km²"), "ha": ("公顷", "ha"), "mu": ("亩", "mu"),
               "m2": ("平方米", "m²"), "yi": ("亿元", "100 million yuan"),
               "wan": ("万元", "10,000 yuan"), "yuan": ("元", "yuan")}
UNIT_WORDS = (("平方公里", "km2"), ("km2", "km2"), ("km²", "km2"), ("公顷", "ha"), ("ha", "ha"),
              ("平方米", "m2"), ("m2", "m2"), ("m²", "m2"), ("亩", "mu"), ("亿元", "yi"),
              ("万元", "wan"), ("元", "yuan"))

_ID = Field("id", "text", "编号", "ID", ("id", "编号", "代码", "编码", "code", "bh", "dm", "园区代码",
                                         "园区编号", "项目编号", "集群编号"))
_NAME = Field("name_zh", "text", "名称（中文）", "Name (Chinese)",
              ("名称", "园区名称", "高新区名称", "开发区名称", "项目名称", "集群名称", "企业名称",
               "地块名称", "中文名称", "name", "name_zh", "mc", "yqmc", "xmmc", "名字"), required=True)
_COMMON = (
    _ID, _NAME,
    Field("name_en", "text", "名称（英文）", "Name (English)", ("英文名称", "name_en", "ename", "english")),
    Field("city", "text", "所在市", "City", ("所在市", "市", "地市", "城市", "省辖市", "city", "shi")),
    Field("county", "text", "所在县（区）", "County", ("所在县", "县区", "县", "区县", "county", "xian")),
    Field("status_zh", "text", "状态（中文）", "Status (Chinese)", ("状态", "建设状态", "进展", "status")),
    Field("status_en", "text", "状态（英文）", "Status (English)", ("status_en",)),
)
_IND = (Field("ind_zh", "text", "主导产业（中文）", "Industry (Chinese)",
              ("主导产业", "产业", "产业方向", "主导产业方向", "industry", "cy", "zdcy")),
        Field("ind_en", "text", "主导产业（英文）", "Industry (English)", ("industry_en", "ind_en")))
_PROD = (Field("prod_zh", "text", "产品（中文）", "Products (Chinese)", ("产品", "主要产品", "product")),
         Field("prod_en", "text", "产品（英文）", "Products (English)", ("product_en", "prod_en")))
_INV = (Field("inv_yi", "number", "投资", "Investment",
              ("投资", "总投资", "投资额", "计划投资", "investment"), unit="yi"),
        Field("inv_year", "text", "投资年份", "Investment year", ("投资年份", "年份", "年度", "year")))

SCHEMAS: dict[str, tuple[Field, ...]] = {
    "parks": (*_COMMON, *_IND,
              Field("a12_km2", "number", "2012年建成面积", "Built-up area 2012",
                    ("2012年建成面积", "2012年面积", "2012面积"), unit="km2"),
              Field("a13_km2", "number", "2013年建成面积 / 面积", "Built-up area 2013 / area",
                    ("面积", "建成面积", "2013年建成面积", "2013年面积", "area", "mj", "area_km2"),
                    unit="km2"),
              Field("inv12_yi", "number", "2012年投资", "Investment 2012", ("2012年投资",), unit="yi"),
              Field("inv13_yi", "number", "2013年投资", "Investment 2013",
                    ("投资", "总投资", "投资额", "2013年投资"), unit="yi"),
              Field("rev12_yi", "number", "2012年主营业务收入", "Revenue 2012",
                    ("2012年营业收入", "2012年收入", "2012年主营业务收入"), unit="yi"),
              Field("rev13_yi", "number", "2013年主营业务收入", "Revenue 2013",
                    ("主营业务收入", "营业收入", "收入", "2013年主营业务收入"), unit="yi")),
    "zones": (*_COMMON,
              Field("level", "text", "级别", "Level", ("级别", "等级", "类别", "level")),
              Field("approved", "text", "批准时间", "Approved",
                    ("批准时间", "批准年份", "批复时间", "设立时间", "approved")),
              Field("built_km2", "number", "建成面积", "Built-up area", ("建成面积", "建成区面积"),
                    unit="km2"),
              Field("plan_km2", "number", "规划面积", "Planned area",
                    ("规划面积", "面积", "批准面积", "mj", "area"), unit="km2")),
    "foxconn": (*_COMMON,
                Field("role_zh", "text", "合作内容（中文）", "Role (Chinese)", ("合作内容", "角色", "类型")),
                Field("role_en", "text", "合作内容（英文）", "Role (English)", ("role_en",)),
                *_PROD, *_INV),
    "projects": (*_COMMON,
                 Field("sector_zh", "text", "产业领域", "Sector",
                       ("领域", "产业领域", "所属领域", "行业", "板块", "sector")),
                 Field("sector_en", "text", "产业领域（英文）", "Sector (English)", ("sector_en",)),
                 *_IND, *_PROD, *_INV),
    "clusters": (*_COMMON,
                 Field("section", "text", "方案章节", "Plan section", ("章节", "section")),
                 Field("link_zh", "text", "依托园区（中文）", "Linked to (Chinese)",
                       ("依托", "所在园区", "关联")),
                 Field("link_en", "text", "依托园区（英文）", "Linked to (English)", ("link_en",)),
                 Field("rev_yi", "number", "营业收入", "Revenue",
                       ("营业收入", "收入", "主营业务收入", "产值", "revenue"), unit="yi"),
                 Field("rev_year", "text", "收入年份", "Revenue year", ("年份", "年度", "收入年份", "year"))),
    # land-supply records (供地), imported by parks/survey_import.py; area in any unit → m²
    "supply": (Field("parcel_id", "text", "地块编号", "Parcel ID",
                     ("地块编号", "宗地编号", "电子监管号", "监管号", "dkbh", "zdbh", "dzjgh", "bsm",
                      "编号", "id"),
                     required=True),
               Field("use", "text", "土地用途", "Land use", ("土地用途", "用途", "供地用途", "tdyt", "yt"),
                     required=True),
               Field("method", "text", "供地方式", "Supply method",
                     ("供地方式", "供应方式", "出让方式", "gdfs", "gyfs"), required=True),
               Field("supplied_on", "text", "供地时间", "Supplied on",
                     ("供地时间", "供地日期", "签订日期", "合同签订日期", "供应时间", "gdsj", "qdrq", "date"),
                     required=True),
               Field("area_m2", "number", "供地面积", "Area",
                     ("供地面积", "面积", "出让面积", "gdmj", "mj", "area"), unit="km2"),
               Field("far", "number", "容积率", "Floor area ratio",
                     ("容积率", "容积率上限", "rjl", "rjlsx"))),
}


def fields(layer: str) -> tuple[Field, ...]:
    return SCHEMAS[layer]


def field(layer: str, name: str) -> Field:
    for f in SCHEMAS[layer]:
        if f.name == name:
            return f
    raise KeyError(name)


_BRACKETS = re.compile(r"[（(\[【].*?[)）\]】]")


def normalise(column: str) -> str:
    """A column name without unit brackets, spaces, underscores or case: "面积（公顷）" -> "面积"."""
    return re.sub(r"[\s_\-]", "", _BRACKETS.sub("", str(column))).lower()


def unit_of(column: str, f: Field) -> str | None:
    """The unit a column name states for a converted field ("面积(公顷)" -> "ha"), else None."""
    if f.unit is None:
        return None
    allowed = AREA_UNITS if f.unit == "km2" else MONEY_UNITS
    text = str(column).lower()
    for word, unit in UNIT_WORDS:
        if word in text and unit in allowed:
            return unit
    return None


def suggest_mapping(layer: str, columns) -> dict[str, str]:
    """{field: column} proposed from the columns' names; each column used at most once."""
    columns = [str(c) for c in columns if str(c) != "geometry"]
    keys = {c: normalise(c) for c in columns}
    mapping, used = {}, set()

    def exact(c, alias):
        return keys[c] == alias

    def cut(c, alias):  # DBF names stop at 10 bytes: "园区名称" arrives as "园区名"
        return len(keys[c]) >= 3 and alias.startswith(keys[c])

    for test in (exact, cut):
        for f in fields(layer):
            if f.name in mapping:
                continue
            for alias in (normalise(a) for a in (f.name, *f.aliases)):  # in order of preference
                match = next((c for c in columns if c not in used and test(c, alias)), None)
                if match:
                    mapping[f.name] = match
                    used.add(match)
                    break
    return mapping


def parse_mapping(text: str, layer: str) -> tuple[dict[str, str], dict[str, str]]:
    """``"name_zh=园区名称,a13_km2=面积:ha"`` -> ({field: column}, {field: unit}) for the CLI."""
    mapping, units = {}, {}
    for item in filter(None, (p.strip() for p in re.split(r"[,，;]", text or ""))):
        target, sep, source = item.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not source:
            raise UserError(f"映射“{item}”应写作 字段=列名。",
                                f"Mapping '{item}' must read field=column.", code="bad_mapping")
        f = field(layer, target) if target in {x.name for x in fields(layer)} else None
        if f is None:
            raise UserError(f"图层 {layer} 没有字段“{target}”。",
                                f"Layer {layer} has no field '{target}'.", code="bad_mapping")
        if ":" in source and f.unit:
            source, unit = source.rsplit(":", 1)
            units[target] = unit
        mapping[target] = source
    return mapping, units


def to_number(value) -> float | None:
    """A float from a cell (numbers, "1,234.5", "12.5亿元"); None for empty; raises ValueError."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    if not text:
        return None
    text = re.sub(r"(平方公里|公顷|平方米|亩|亿元|万元|元|km2|km²|ha|m2)$", "", text, flags=re.I).strip()
    return float(text)
