"""What kind of source each item of a ``source`` cell of ``sites.csv`` is, and whether it is
secondary — derived by a rule from the item's form and its URL's domain, never typed by hand.

A ``source`` cell lists items separated by `` | ``: the plan's text (``seed policy text: …``),
a public repository's data (``github:owner/repo path@commit``), where coordinates came from
(``coords: …``), or a URL. A URL's kind comes from :data:`DOMAINS` (the most specific entry
whose domain ends the host); a domain not in the table is an unofficial copy of unknown origin,
``web_copy``, and secondary. Secondary means the text is not published by the body it reports
on or by a news outlet that reported it: reposts, copies, third-party compilations.

``flask sources kinds`` writes the derivation for every item to ``data/sources/sources.csv``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from parks.sources import SOURCES_DIR, Site, read_sites

SOURCES_CSV = SOURCES_DIR / "sources.csv"
PLAN = "plan"
GOVERNMENT = "government"
NEWS = "news"
WEB_COPY = "web_copy"
DATASET = "dataset"
ESTIMATE = "estimate"

KIND_LABELS = {
    PLAN: ("规划文本", "plan text"),
    GOVERNMENT: ("政府网站", "government site"),
    NEWS: ("新闻", "news"),
    WEB_COPY: ("网页转载", "web copy"),
    DATASET: ("数据集", "dataset"),
    ESTIMATE: ("估计（无出处）", "estimate (no source)"),
}
SECONDARY_LABEL = ("二手", "secondary")

#: domain -> (kind, secondary, who publishes there): the table the rule reads. Only domains
#: whose publisher is known belong here; every other domain is a web copy (secondary).
DOMAINS = {
    "gov.cn": (GOVERNMENT, False, "Chinese government bodies (the .gov.cn zone is reserved to them)"),
    "zynews.cn": (NEWS, False, "中原网 and 郑州日报 (Zhengzhou Daily group)"),
    "lyd.com.cn": (NEWS, False, "洛阳网 (Luoyang Daily group), incl. its public-query board"),
    "taiwan.cn": (NEWS, False, "中国台湾网 (state news site), incl. its Big5 gateway"),
    "chinataiwan.cn": (NEWS, False, "中国台湾网 (state news site)"),
    "finance.sina.com.cn": (NEWS, True, "Sina Finance portal: copies of listed companies' filings"),
    "stockstar.com": (NEWS, True, "证券之星 portal: copies of listed companies' notices"),
    "xueqiu.com": (WEB_COPY, True, "雪球 investor forum posts"),
}
_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class SourceKind:
    kind: str
    secondary: bool
    url: str
    domain: str  # the host of ``url``; "" without one
    rule: str  # how the kind was decided


def _domain_rule(host: str) -> tuple[str, bool, str]:
    matches = [d for d in DOMAINS if host == d or host.endswith("." + d)]
    if not matches:
        return WEB_COPY, True, "domain not in the table: unofficial copy"
    domain = max(matches, key=len)
    kind, secondary, _ = DOMAINS[domain]
    return kind, secondary, f"domain {domain}"


def classify(item: str) -> SourceKind:
    """The kind of one source item (one part of a ``source`` cell)."""
    text = item.strip()
    found = _URL.search(text)
    url = found.group(0).rstrip(").,;") if found else ""
    host = (urlsplit(url).hostname or "") if url else ""
    if text.startswith("seed policy text:"):
        return SourceKind(PLAN, False, url, host, "the plan's text")
    if text.startswith("coords: estimated") or "no coordinate source" in text:
        return SourceKind(ESTIMATE, False, url, host, "coordinates estimated, no source")
    if "github:" in text:
        return SourceKind(DATASET, True, url, host, "public repository: third-party compilation")
    if url:
        kind, secondary, rule = _domain_rule(host)
        return SourceKind(kind, secondary, url, host, rule)
    return SourceKind(WEB_COPY, True, "", "", "no URL: unverifiable copy")


def items(cell: str) -> list[str]:
    """The items of a ``source`` cell."""
    return [s.strip() for s in str(cell or "").split(" | ") if s.strip()]


SOURCE_COLUMNS = ("src_id", "site", "item", "kind", "secondary", "domain", "url", "rule")


def derive(sites: list[Site] | None = None) -> list[dict]:
    """One row per source item of every site: the kinds ``data/sources/sources.csv`` holds."""
    rows = []
    for site in sites if sites is not None else read_sites():
        for item in items(site.source):
            k = classify(item)
            rows.append({"src_id": site.src_id, "site": site.name_zh, "item": item, "kind": k.kind,
                         "secondary": "yes" if k.secondary else "no", "domain": k.domain,
                         "url": k.url, "rule": k.rule})
    return rows


def write_sources(path: Path = SOURCES_CSV) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=SOURCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(derive())
    return path
