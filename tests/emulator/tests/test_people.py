"""People: user.get, user.admin, department.get, access.name and the driver's structure changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import driver_setup
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import call, hook_call, installed_portal


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [str(r["ID"]) for r in rows]


def test_user_get_answers_users_with_departments(emulator: Emulator, portal: Portal) -> None:
    answer = call(emulator, portal, "user.get")
    assert _ids(answer.result) == ["1", "2"] and answer.body["total"] == 2
    admin = answer.result[0]
    assert admin["ACTIVE"] is True and admin["UF_DEPARTMENT"] == [1] and admin["USER_TYPE"] == "employee"
    assert "ADMIN" not in admin


def test_user_get_filters_by_id_activity_and_department(emulator: Emulator, portal: Portal) -> None:
    sales = driver_setup.add_department(emulator, portal, "Sales", head=2)
    seller = driver_setup.add_user(emulator, portal, "Sam", departments=[sales])
    gone = driver_setup.add_user(emulator, portal, "Gus", departments=[sales], active=False)
    assert _ids(call(emulator, portal, "user.get", FILTER={"ID": seller}).result) == [str(seller)]
    assert _ids(call(emulator, portal, "user.get", UF_DEPARTMENT=sales).result) == [str(seller), str(gone)]
    in_sales = call(emulator, portal, "user.get", filter={"UF_DEPARTMENT": sales, "ACTIVE": True})
    assert _ids(in_sales.result) == [str(seller)]
    assert _ids(call(emulator, portal, "user.get", FILTER={"ACTIVE": False}).result) == [str(gone)]
    assert _ids(call(emulator, portal, "user.get", FILTER={"@ID": [1, seller]}).result) == ["1", str(seller)]
    newest_first = call(emulator, portal, "user.get", sort="ID", order="DESC").result
    assert _ids(newest_first)[0] == str(gone)


def test_user_get_pages_by_id(emulator: Emulator, portal: Portal) -> None:
    for n in range(60):
        driver_setup.add_user(emulator, portal, f"u{n}")
    first = call(emulator, portal, "user.get")
    assert len(first.result) == 50 and first.body["next"] == 50 and first.body["total"] == 62
    rest = call(emulator, portal, "user.get", FILTER={">ID": 50}, start=-1)
    assert len(rest.result) == 12 and "total" not in rest.body


def test_user_admin_tells_the_tokens_user(emulator: Emulator, portal: Portal) -> None:
    assert call(emulator, portal, "user.admin", user=1).result is True
    assert call(emulator, portal, "user.admin", user=2).result is False
    driver_setup.set_admin(emulator, portal, 2)
    assert call(emulator, portal, "user.admin", user=2).result is True
    assert hook_call(emulator, portal, "user.admin", user=1).result is True


def test_department_get_gives_head_and_parent(emulator: Emulator, portal: Portal) -> None:
    sales = driver_setup.add_department(emulator, portal, "Sales", head=2)
    east = driver_setup.add_department(emulator, portal, "East", parent=sales)
    everything = call(emulator, portal, "department.get").result
    assert everything[0] == {"ID": "1", "NAME": "Company", "SORT": 500, "UF_HEAD": "1"}
    assert call(emulator, portal, "department.get", ID=sales).result == [
        {"ID": str(sales), "NAME": "Sales", "SORT": 500, "PARENT": "1", "UF_HEAD": "2"}
    ]
    assert _ids(call(emulator, portal, "department.get", PARENT=sales).result) == [str(east)]
    assert _ids(call(emulator, portal, "department.get", UF_HEAD=2).result) == [str(sales)]


def test_access_name_names_known_codes_only(emulator: Emulator, portal: Portal) -> None:
    names = call(emulator, portal, "access.name", ACCESS=["U1", "D1", "DR1", "AU", "U999", "SG4"]).result
    assert set(names) == {"U1", "D1", "DR1", "AU"}
    assert names["U1"]["name"] == "Admin" and names["D1"]["name"] == "Company"
    assert names["AU"] == {"provider": "", "name": "All authorized users", "provider_id": "other"}
    assert call(emulator, portal, "access.name").result is False


def test_people_reads_work_in_a_batch(emulator: Emulator, portal: Portal) -> None:
    cmd = {"me": "user.admin", "dept": "department.get?ID=1", "head": "user.get?ID=$result[dept][0][UF_HEAD]"}
    result = call(emulator, portal, "batch", cmd=cmd).result["result"]
    assert result["me"] is True and result["head"][0]["NAME"] == "Admin"
