"""The main page's client names: what is asked of the portal and how a name is put together."""

from __future__ import annotations

from registry.sync.client_names import display_name, joined, name_commands


def test_one_list_command_per_type_selecting_only_the_name_fields() -> None:
    commands = name_commands([("contact", 7), ("company", 3), ("contact", 2), ("contact", 7)])
    assert {label: c.method for label, c in commands.items()} == {
        "contact": "crm.contact.list",
        "company": "crm.company.list",
    }
    assert commands["contact"].params["filter"] == {"@ID": [2, 7]}
    assert commands["contact"].params["select"] == ["ID", "NAME", "LAST_NAME"]
    assert commands["company"].params["select"] == ["ID", "TITLE"]
    assert name_commands([]) == {}


def test_a_page_at_most_per_type() -> None:
    commands = name_commands([("company", i) for i in range(1, 80)])
    assert len(commands["company"].params["filter"]["@ID"]) == 50


def test_names_leave_blank_parts_out() -> None:
    assert display_name("contact", {"NAME": " Ann ", "LAST_NAME": None}) == "Ann"
    assert display_name("contact", {"NAME": "", "LAST_NAME": "Lee"}) == "Lee"
    assert display_name("company", {"TITLE": "Shop", "NAME": "x"}) == "Shop"
    assert joined(None, " ", "") == ""
