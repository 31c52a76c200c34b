"""Requisites and their links to deals: the seller (my company) of a deal, and the documented errors."""

from __future__ import annotations

import pytest

from tests.emulator import driver, driver_crm
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import call, installed_portal


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def test_a_deal_names_its_seller_through_the_requisite_link(emulator: Emulator, portal: Portal) -> None:
    mine = driver_crm.create_client(emulator, portal, "company", title="Us", isMyCompany="Y")
    client = driver_crm.create_client(emulator, portal, "company", title="Them")
    deal = driver.create_deal(emulator, portal, TITLE="d", COMPANY_ID=client)
    requisite = call(
        emulator, portal, "crm.requisite.add", fields={"ENTITY_TYPE_ID": 4, "ENTITY_ID": mine, "NAME": "Org"}
    )
    theirs = call(
        emulator,
        portal,
        "crm.requisite.add",
        fields={"ENTITY_TYPE_ID": 4, "ENTITY_ID": client, "NAME": "Org"},
    )
    link = {"ENTITY_TYPE_ID": 2, "ENTITY_ID": deal, "REQUISITE_ID": theirs.result, "BANK_DETAIL_ID": 0}
    missing = call(emulator, portal, "crm.requisite.link.register", fields=link)
    assert missing.body["error_description"] == "The parameter MC_REQUISITE_ID is not defined or invalid"
    link |= {"MC_REQUISITE_ID": requisite.result, "MC_BANK_DETAIL_ID": 0}
    assert call(emulator, portal, "crm.requisite.link.register", fields=link).status == 200
    got = call(emulator, portal, "crm.requisite.link.get", entityTypeId=2, entityId=deal).result
    assert got["MC_REQUISITE_ID"] == str(requisite.result)
    seller = call(emulator, portal, "crm.requisite.get", id=got["MC_REQUISITE_ID"]).result
    assert (seller["ENTITY_TYPE_ID"], seller["ENTITY_ID"]) == ("4", str(mine))


def test_missing_links_and_requisites_answer_as_documented(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="d")
    assert (
        call(emulator, portal, "crm.requisite.link.get", entityTypeId=2, entityId=deal).body[
            "error_description"
        ]
        == "Not found"
    )
    bad = call(emulator, portal, "crm.requisite.link.get", entityTypeId="x", entityId=deal)
    assert bad.body["error_description"] == "entityTypeId is not defined or invalid"
    gone = call(emulator, portal, "crm.requisite.get", id=999)
    assert gone.body["error_description"] == "The Requisite with ID '999' is not found"
