"""The documents hold: every relative link in README.md and docs/*.md resolves (files, and
#anchors as GitHub slugs headings); every CLI command and every setting of ``app.DEFAULTS`` is
documented; every command, make target, file and ``SEI_ATLAS_*`` variable the documents name
exists."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import click
import pytest
from flask.cli import routes_command, run_command, shell_command

from app import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: how the documents write a command: `flask --app app users create`, `flask tiles build`, `sei-atlas run`
PREFIX = r"(?:flask --app app|flask|sei-atlas)"
COMMAND = re.compile(rf"(?<![\w-]){PREFIX}[ \t]+([a-z][\w-]*)(?:[ \t]+([a-z][\w-]*))?")
MAKE = re.compile(r"(?<![\w-])make[ \t]+([a-z][\w-]*)")
ENV = re.compile(r"SEI_ATLAS_[A-Z0-9_]*[A-Z0-9]")
#: a path in the repository that a document names (files only: folders may be made at set-up)
REPO_PATH = re.compile(r"^(?:core|geo|store|parks|layers|web|templates|static|data|tests|benchmarks|scripts"
                       r"|docs)/[\w./-]*\.\w+$")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
BUILTIN_COMMANDS = {c.name for c in (run_command, shell_command, routes_command)}


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_parts(text: str) -> list[str]:
    """The fenced blocks and inline code spans of a markdown text."""
    fences = FENCE.findall(text)
    rest = FENCE.sub("", text)
    return fences + [m.group(2) for m in INLINE_CODE.finditer(rest)]


def prose(text: str) -> str:
    """``text`` without its fenced blocks and code spans (links there are not links)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its rendered text in lower case, everything but
    letters, digits, marks, spaces, ``-`` and ``_`` dropped, each space a ``-``."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    kept = "".join(c for c in text.lower()
                   if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, title in HEADING.findall(FENCE.sub("", text_of(path))):
        slug = github_slug(title)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in LINK.findall(prose(text_of(path))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading makes #{anchor}")
    return broken


def cli_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    """Every command of ``group`` and its subgroups, by its path (``("users", "create")``)."""
    out = {}
    for name, command in group.commands.items():
        out[prefix + (name,)] = command
        if isinstance(command, click.Group):
            out.update(cli_commands(command, prefix + (name,)))
    return out


def all_docs() -> str:
    return "\n".join(text_of(p) for p in DOCS)


def code_lines() -> list[str]:
    """Every line of every code span and fenced block (a command never spans two)."""
    return [line for p in DOCS for part in code_parts(text_of(p)) for line in part.splitlines()]


# ----- links ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_every_relative_link_resolves(path):
    assert broken_links(path) == []


def test_the_link_check_finds_a_broken_file_and_a_broken_anchor(tmp_path):
    (tmp_path / "b.md").write_text("# Title: here (again)\n## 用地指标 · Quota `ledger`\n", encoding="utf-8")
    page = tmp_path / "a.md"
    page.write_text("[ok](b.md#title-here-again) [ok](b.md#用地指标--quota-ledger) [ok](https://x.org/none)\n"
                    "`[not a link](nowhere.md)`\n"
                    "[gone](c.md) [bad anchor](b.md#quota) [self](#missing)\n", encoding="utf-8")
    assert broken_links(page) == ["c.md: no such file", "b.md#quota: no heading makes #quota",
                                  "#missing: no heading makes #missing"]


def test_github_slugs_repeat_with_a_number():
    assert github_slug("Known limits") == "known-limits"
    assert github_slug("Reading uploaded vector files (`geo/vector_io.py`)") == \
        "reading-uploaded-vector-files-geovector_iopy"


def test_readme_starts_with_the_two_commands():
    first_block = FENCE.search(text_of(ROOT / "README.md")).group(0).splitlines()[1:-1]
    assert [line.split()[:2] for line in first_block] == [["make", "run"], ["make", "test"]]


# ----- commands and settings ------------------------------------------------------------------

def test_every_cli_command_is_documented(app):
    docs = all_docs()
    commands = cli_commands(app.cli)
    assert len(commands) > 20
    missing = [" ".join(path) for path, command in commands.items()
               if not isinstance(command, click.Group)
               and not re.search(rf"{PREFIX} {re.escape(' '.join(path))}(?![\w-])", docs)]
    assert missing == []


def test_every_documented_command_exists(app):
    commands = cli_commands(app.cli)
    unknown = set()
    for first, second in (m for line in code_lines() for m in COMMAND.findall(line)):
        command = commands.get((first,))
        if command is None and first not in BUILTIN_COMMANDS:
            unknown.add(first)
        elif isinstance(command, click.Group) and second and (first, second) not in commands:
            unknown.add(f"{first} {second}")
    assert unknown == set()


def test_every_documented_make_target_exists():
    targets = set(re.findall(r"^([\w-]+):", text_of(ROOT / "Makefile"), re.M))
    assert {t for line in code_lines() for t in MAKE.findall(line)} - targets == set()


def test_every_setting_is_documented_with_its_environment_variable():
    docs = all_docs()
    assert [key for key in DEFAULTS if f"SEI_ATLAS_{key}" not in docs] == []


def test_every_documented_environment_variable_is_read_somewhere():
    code = "\n".join(p.read_text(encoding="utf-8") for folder in ("core", "geo", "store", "parks", "layers",
                                                                   "web", "scripts", "tests")
                     for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".sh"))
    code += text_of(ROOT / "app.py") + text_of(ROOT / "Makefile")
    settings = {f"SEI_ATLAS_{key}" for key in DEFAULTS}
    assert {name for name in ENV.findall(all_docs()) if name not in settings and name not in code} == set()


def test_every_file_the_documents_name_exists():
    named = {token.strip(".,;:()'\"") for part in code_parts(all_docs()) for token in part.split()}
    assert sorted(p for p in named if REPO_PATH.match(p) and not (ROOT / p).exists()) == []
