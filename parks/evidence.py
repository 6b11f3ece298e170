"""The evidence text of a site (the ``attributes`` cell of ``sites.csv``), read into labelled
items, and the language a text is written in.

The texts were written in English (with the Chinese names they cite); they are shown as written,
never machine-translated: the labels around them are bilingual, and a page in the other language
says that the text is the original (:func:`text_language`).
"""

from __future__ import annotations

import re

#: ``key=`` of the evidence cell -> label (zh, en)
KEY_LABELS = {
    "status": ("状态", "Status"),
    "evidence": ("证据", "Evidence"),
    "strength": ("证据强度", "Evidence strength"),
    "sector": ("板块", "Sector"),
}
STRENGTH = {"strong": ("强", "strong"), "medium": ("中", "medium"), "weak": ("弱", "weak")}
ORIGINAL = {"en": ("英文原文", "English original"), "zh": ("中文原文", "Chinese original")}

_KEY = re.compile(r"(?:^|;\s*)([a-z_]+)=")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def evidence_items(text: str) -> list[tuple[str | None, str]]:
    """``[(key, value)]`` of a ``key=value; key=value`` cell; text before the first key (or a
    cell without keys) is one item with key None. Values keep their own semicolons."""
    text = (text or "").strip()
    marks = list(_KEY.finditer(text))
    items: list[tuple[str | None, str]] = []
    head = text[: marks[0].start()] if marks else text
    if head.strip(" ;"):
        items.append((None, head.strip(" ;")))
    ends = [m.start() for m in marks[1:]] + [len(text)] * bool(marks)
    for mark, end in zip(marks, ends, strict=True):
        value = text[mark.end(): end].strip(" ;")
        if value:
            items.append((mark.group(1), value))
    return items


def text_language(text: str) -> str:
    """'zh' when a text has more Chinese characters than Latin letters, else 'en'."""
    return "zh" if len(_CJK.findall(text or "")) > len(_LATIN.findall(text or "")) else "en"
