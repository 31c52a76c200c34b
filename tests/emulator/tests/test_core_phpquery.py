"""PHP-style query parsing as PHP's parse_str does it, and the round trip from nested params."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.emulator.phpquery import build_query, flatten, parse_query, split_key, unflatten


def test_nested_keys_lists_and_appends() -> None:
    assert parse_query("fields[TITLE]=A%20B&fields[OPENED]=Y&select[]=ID&select[]=NAME") == {
        "fields": {"TITLE": "A B", "OPENED": "Y"},
        "select": ["ID", "NAME"],
    }
    assert parse_query("a[][x]=1&a[][x]=2") == {"a": [{"x": "1"}, {"x": "2"}]}
    assert parse_query("id[0]=5&id[1]=6") == {"id": ["5", "6"]}
    assert parse_query("m[1]=a&m[0]=b") == {"m": {"1": "a", "0": "b"}}  # not 0..n-1 in order: a map


def test_filter_prefixes_and_or_groups_stay_maps() -> None:
    parsed = parse_query("filter[>ID]=5&filter[!@STAGE][]=WON&filter[0][logic]=OR&filter[0][0][%3Da]=1")
    assert parsed == {"filter": {">ID": "5", "!@STAGE": ["WON"], "0": {"logic": "OR", "0": {"=a": "1"}}}}


def test_php_quirks() -> None:
    assert split_key("a.b") == ["a_b"]  # dots and spaces in the base name become "_"
    assert split_key("a[b") == ["a_b"]  # an unclosed bracket too
    assert split_key("a[b]x[c]") == ["a", "b"]  # garbage after the last segment is ignored
    assert split_key("[x]") is None
    assert parse_query("a=1&a[b]=2") == {"a": {"b": "2"}}  # the later pair wins
    assert parse_query("x=1+2&y=&z") == {"x": "1 2", "y": "", "z": ""}
    assert parse_query("?q=%24result%5Ba%5D") == {"q": "$result[a]"}


def test_flatten_and_build() -> None:
    params = {"fields": {"TITLE": "x", "LIST": [1, 2], "OK": True, "NONE": None}, "id": 5}
    assert flatten(params) == [
        ("fields[TITLE]", "x"),
        ("fields[LIST][0]", "1"),
        ("fields[LIST][1]", "2"),
        ("fields[OK]", "1"),
        ("id", "5"),
    ]
    assert build_query({"filter": {"=xmlId": "a&b"}}) == "filter[%3DxmlId]=a%26b"
    assert parse_query(build_query({"filter": {"=xmlId": "a&b"}})) == {"filter": {"=xmlId": "a&b"}}


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="[]"), max_size=8)
_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
_tree: Any = st.recursive(
    _text,
    lambda children: (
        st.dictionaries(_names, children, min_size=1, max_size=3) | st.lists(children, min_size=1, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(_names, _tree, max_size=4))
def test_round_trip(params: dict[str, Any]) -> None:
    assert unflatten(flatten(params)) == params
    assert parse_query(build_query(params)) == params
