"""Every source item gets a kind and a secondary mark by a rule on its form and domain, and the
shipped data/sources/sources.csv is that rule's output."""

import csv

import pytest

from parks import source_kinds as sk


@pytest.mark.parametrize(("item", "kind", "secondary"), [
    ("seed policy text: 河南省推动科技创新培育战略性新兴产业专项工作方案, issued by 河南省人民政府办公厅 "
     "2012-11-01 (source/plan-2012.zh.txt)", sk.PLAN, False),
    ("http://gxq.xinyang.gov.cn/2025/06-03/662390.html", sk.GOVERNMENT, False),
    ("http://big5.www.gov.cn/gate/big5/www.gov.cn/gzdt/2012-02/06/content_2059121.htm", sk.GOVERNMENT, False),
    ("https://zzrb.zynews.cn/html/2009-04/18/content_71363.htm", sk.NEWS, False),
    ("https://money.finance.sina.com.cn/corp/view/vISSUE_RaiseExplanationDetail.php?stockid=603658",
     sk.NEWS, True),
    ("http://opkks.com/local/zhaoshangxiangmu/201205/t20120507_2522950.htm", sk.WEB_COPY, True),
    ("http://notgov.cn.example.com/x", sk.WEB_COPY, True),  # gov.cn must end the host
    ("http://fakegov.cn/x", sk.WEB_COPY, True),
    ("github:qindong/Analysis Data/cityGeo.js@b1c7f35c", sk.DATASET, True),
    ("coords: estimated: general knowledge (no coordinate source found)", sk.ESTIMATE, False),
    ("(2016-06 date: pages-search excerpt without URL)", sk.WEB_COPY, True),
])
def test_kinds_follow_the_form_and_the_domain_table(item, kind, secondary):
    found = sk.classify(item)
    assert (found.kind, found.secondary) == (kind, secondary)
    assert found.rule


def test_the_domain_table_names_kinds_that_have_labels():
    for kind, secondary, publisher in sk.DOMAINS.values():
        assert kind in sk.KIND_LABELS and isinstance(secondary, bool) and publisher


def test_the_shipped_sources_table_is_the_rules_output():
    with open(sk.SOURCES_CSV, encoding="utf-8", newline="") as f:
        shipped = list(csv.DictReader(f))
    derived = [{k: str(v) for k, v in row.items()} for row in sk.derive()]
    assert shipped == derived, "run `flask sources kinds` after editing sites.csv"
    kinds = {row["kind"] for row in shipped}
    assert {sk.PLAN, sk.GOVERNMENT, sk.NEWS, sk.WEB_COPY} <= kinds
    assert all(row["secondary"] == "yes" for row in shipped if row["kind"] == sk.WEB_COPY)
