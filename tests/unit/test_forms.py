"""PHP-style form keys become nested dicts and lists; malformed input names the field."""

import pytest

from handlers.forms import BadRequest, require, unflatten


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
