"""PHP-style form keys become nested dicts and lists; malformed input names the field."""

import pytest

from handlers.forms import MAX_DEPTH, MAX_FORM_KEYS, BadRequest, load_json, parse_id, require, unflatten


def test_event_payload_unflattens() -> None:
    pairs = [
        ("event", "ONCRMDEALUPDATE"),
        ("data[FIELDS][ID]", "759"),
        ("auth[member_id]", "m1"),
        ("auth[application_token]", "t"),
        ("document_id[0]", "crm"),
        ("document_id[1]", "CCrmDocumentDeal"),
        ("document_id[2]", "DEAL_759"),
        ("select[]", "ID"),
        ("select[]", "TITLE"),
    ]
    data = unflatten(pairs)
    assert data["data"] == {"FIELDS": {"ID": "759"}}
    assert data["auth"]["member_id"] == "m1"
    assert data["document_id"] == ["crm", "CCrmDocumentDeal", "DEAL_759"]
    assert data["select"] == ["ID", "TITLE"]


def test_require_names_missing_field_in_form_notation() -> None:
    with pytest.raises(BadRequest) as info:
        require({"auth": {}}, "auth.member_id")
    assert info.value.field == "auth[member_id]"


def test_conflicting_keys_are_refused() -> None:
    with pytest.raises(BadRequest):
        unflatten([("a", "1"), ("a[b]", "2")])


@pytest.mark.parametrize("raw", ["²", "٣", "0", "-1", "1.0", " ", "7" * 400, "2147483648", "12a"])
def test_ids_are_ascii_digits_within_the_database_integer(raw: str) -> None:
    with pytest.raises(BadRequest) as info:
        parse_id(raw, "data[FIELDS][ID]")
    assert info.value.field == "data[FIELDS][ID]"


def test_an_id_in_range_is_read() -> None:
    assert parse_id("2147483647", "x") == 2**31 - 1 and parse_id(" 12 ", "x") == 12


def test_form_keys_and_their_count_are_bounded() -> None:
    with pytest.raises(BadRequest) as deep:
        unflatten([("a" + "[b]" * MAX_DEPTH, "1")])
    with pytest.raises(BadRequest) as many:
        unflatten([(f"k{i}", "v") for i in range(MAX_FORM_KEYS + 1)])
    assert deep.value.field.startswith("a[b]") and many.value.field == "body"
    assert unflatten([("a" + "[b]" * (MAX_DEPTH - 1), "1")])  # the deepest allowed


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' * 10 + "1" + "}" * 10, "not json"])
def test_json_that_is_invalid_or_too_deep_is_a_bad_request(text: str) -> None:
    with pytest.raises(BadRequest) as info:
        load_json(text, "body")
    assert info.value.field == "body"
