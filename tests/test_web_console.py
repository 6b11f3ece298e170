"""web.console: how CLI commands report bad input and a file's problems."""

import click

from core.errors import UserError
from parks.importer import Problem
from web.console import input_error, problem_lines


def test_problem_lines_say_each_kind_once_in_first_seen_order():
    problems = [Problem("error", "not_a_number", f"第 {r} 行", f"Row {r}: 'Area' value 'x' is not a number.",
                        r, "a13_km2") for r in (3, 7, 9)]
    problems.insert(1, Problem("warning", "ignored_columns", "…", "These columns map to no field: 备注."))
    problems.append(Problem("error", "not_a_number", "第 4 行", "Row 4: 'Revenue' value 'y' is not a number.",
                            4, "rev13_yi"))
    problems += [Problem("error", "outside_henan", "…", "Features 1–600 lie outside Henan.", r)
                 for r in range(1, 501)]
    assert problem_lines(problems, limit=500) == [
        "error ×3 — rows 3, 7, 9: e.g. Row 3: 'Area' value 'x' is not a number.",
        "warning: These columns map to no field: 备注.",
        "error: Row 4: 'Revenue' value 'y' is not a number.",  # another field: another problem
        "error ×500+ — rows 1, 2, 3, 4, 5 … (500): Features 1–600 lie outside Henan."]
    assert problem_lines([]) == []


def test_input_error_is_a_usage_error_in_both_languages():
    err = input_error(UserError("纸张须为 A4 或 A3。", "paper must be A4 or A3.", code="bad_parameter"))
    assert isinstance(err, click.UsageError) and err.exit_code == 2
    assert err.message == "纸张须为 A4 或 A3。\npaper must be A4 or A3."
