"""``make demo``: the emulator and the app in one process; install, win a few deals, print the registry."""

from __future__ import annotations

import tempfile
from decimal import Decimal

from sqlalchemy import select

from b24app.db import Database
from registry.bonuses.models import DealState
from tests.emulator import driver
from tests.emulator.server import Emulator
from tests.harness import AppHarness

CLIENT_ID, CLIENT_SECRET = "local.demo.app", "demo-secret"


def _migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config("migrations/alembic.ini")
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


def main() -> None:
    emu = Emulator(limits_enabled=True).start()
    emu.register_app(CLIENT_ID, CLIENT_SECRET)
    url = f"sqlite:///{tempfile.mkdtemp()}/demo.sqlite3"
    _migrate(url)
    app = AppHarness(
        url,
        oauth_url=emu.oauth_url(),
        overrides={"b24_client_id": CLIENT_ID, "b24_client_secret": CLIENT_SECRET, "log_level": "WARNING"},
    )
    portal = emu.add_portal(domain="demo.bitrix24.test", lang="ru")
    driver.install_api(emu, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    company = driver.create_company(emu, portal, TITLE="ООО Ромашка")
    contact = driver.create_contact(emu, portal, NAME="Анна")
    deals = [
        driver.create_deal(
            emu, portal, TITLE="Company deal", OPPORTUNITY="12000", COMPANY_ID=company, CONTACT_ID=contact
        ),
        driver.create_deal(emu, portal, TITLE="Contact deal", OPPORTUNITY="1000", CONTACT_ID=contact),
        driver.create_deal(emu, portal, TITLE="No client", OPPORTUNITY="5000"),
    ]
    for deal in deals:
        driver.update_deal(emu, portal, deal, STAGE_ID="WON")
    app.drain()
    _print(emu, portal, company, contact)
    with app.db.transaction() as session:
        for deal_id, reason in session.execute(
            select(DealState.deal_id, DealState.skipped_reason).where(DealState.skipped_reason.is_not(None))
        ):
            print(f"deal {deal_id} skipped: {reason}")
    app.close()
    Database(url).dispose()
    emu.stop()


def _print(emu: Emulator, portal: object, company: int, contact: int) -> None:
    etid = next(iter(portal.types.values()))["entityTypeId"]  # type: ignore[attr-defined]
    items = portal.items[etid].values()  # type: ignore[attr-defined]
    print(f"{'item':>5} {'deal':>5} {'owner':<14} {'stage':<28} {'amount':>10} {'balance':>10}")
    for item in items:
        owner = (
            f"company {item['companyId']}" if item.get("companyId") else f"contact {item.get('contactId')}"
        )
        fields = {k: v for k, v in item.items() if k.startswith("UF_CRM_")}
        amount = next((v for k, v in fields.items() if k.endswith("_AMOUNT")), "")
        balance = next((v for k, v in fields.items() if k.endswith("_BALANCE_AFTER")), "")
        print(
            f"{item['id']:>5} {item.get('parentId2', ''):>5} {owner:<14} {item['stageId']:<28} "
            f"{Decimal(str(amount)):>10} {Decimal(str(balance)):>10}"
        )
    print(f"company {company} UF_CRM_BONUS_BALANCE = {portal.companies[company].get('UF_CRM_BONUS_BALANCE')}")  # type: ignore[attr-defined]
    print(f"contact {contact} UF_CRM_BONUS_BALANCE = {portal.contacts[contact].get('UF_CRM_BONUS_BALANCE')}")  # type: ignore[attr-defined]
    print(f"portal requests: {emu.stats.http_requests}, 503s: {emu.stats.limit_503}")


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(prog="python -m bench.demo", description=__doc__).parse_args()
    main()
