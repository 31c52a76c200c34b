"""CSV rows checked one by one (line and column named), and the program's customer events validated."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.bonuses.imports import BadFile, Row, RowError, read
from registry.program.document import ProgramError, parse


def _read(text: str) -> list[Row | RowError]:
    return list(read(text.splitlines(keepends=True)))


def test_each_bad_row_is_named_by_line_and_column() -> None:
    rows = _read(
        "key,client,amount,kind,lifetime_days\n"
        "a,contact:1,10,,\n"
        "b,lead:2,10,,\n"
        "c,company:3,1e3,,\n"
        "d,company:3,5,gift,\n"
        "e,company:3,5,accrual,forever\n"
        "a,contact:1,10,,\n"
        '"f\nf",contact:9,1.5,accrual,30\n'
    )
    assert isinstance(rows[0], Row) and rows[0].amount == Decimal("10")
    errors = [(r.line, r.column) for r in rows if isinstance(r, RowError)]
    assert errors == [(3, "client"), (4, "amount"), (5, "kind"), (6, "lifetime_days"), (7, "key")]
    last = rows[-1]
    assert isinstance(last, Row) and last.line == 9 and last.lifetime_days == 30  # a quoted newline


@pytest.mark.parametrize(
    ("header", "word"), [("", "header"), ("key,amount", "client"), ("key,client,amount,x", "x")]
)
def test_a_bad_header_refuses_the_file(header: str, word: str) -> None:
    with pytest.raises(BadFile, match=word):
        _read(header + "\n")


@pytest.mark.parametrize(
    ("events", "path"),
    [
        ("nope", "$.events"),
        ([{"code": "a b", "points": 1}], "$.events[0].code"),
        ([{"code": "a", "points": -1}], "$.events[0].points"),
        ([{"code": "a", "points": 0}], "$.events[0].points"),
        ([{"code": "a", "points": 1, "per_client_max": True}], "$.events[0].per_client_max"),
        ([{"code": "a", "points": 1, "bonus": 2}], "$.events[0].bonus"),
        ([{"code": "a", "points": "1.001"}], "$.events[0].points"),
    ],
)
def test_customer_events_are_validated(events: object, path: str) -> None:
    with pytest.raises(ProgramError) as exc:
        parse({"events": events})
    assert exc.value.path == path


def test_customer_events_parse() -> None:
    program = parse({"events": [{"code": "review", "name": "Review", "points": 10, "per_client_max": 1}]})
    assert program.events[0].points == Decimal("10.00") and program.events[0].per_client_max == 1
