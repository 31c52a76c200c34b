"""The lane steps in the order a run takes them, and what wakes a lane when a retry comes due."""

from __future__ import annotations

from b24app import inbox, lane_health, outbox
from b24app.config import Settings
from b24app.lanes import LaneContext, LaneStep, WakeProbe
from b24app.outbox import OutboxStep
from b24app.sms import provider_from
from install.services.provisioning import provision_step
from install.services.uninstall import uninstall_step
from registry.messages.answers import WorkflowAnswerKind
from registry.messages.approvals import approval_kinds
from registry.messages.email import UnsentMailKind
from registry.messages.guard import GUARD_KINDS
from registry.messages.levels import LevelFieldKind
from registry.messages.mirror import MIRROR_KINDS
from registry.messages.notifications import NotificationKind
from registry.messages.webhooks import WebhookKind
from registry.services.approval_step import approvals_step
from registry.services.campaign_step import campaigns_step
from registry.services.clients_step import clients_step
from registry.services.deal_step import deals_step
from registry.services.guard_step import guard_step
from registry.services.healing_step import healing_step
from registry.services.instant_step import instant_step
from registry.services.lifetime_step import lifetime_step
from registry.services.names_step import names_step
from registry.services.offline_step import offline_step
from registry.services.reconcile_step import reconcile_step
from registry.services.rewards_step import next_due as rewards_due
from registry.services.rewards_step import rewards_step
from registry.services.robot_step import workflow_step
from registry.services.tiers_step import tiers_step


def lane_steps(settings: Settings) -> list[tuple[str, LaneStep]]:
    """Check uninstall claims, provision, find missed deals, read deals, handle robots, keep the
    lifetime and heal, then deliver what is owed: the mirror, the answers, the clients' messages."""
    base_url = settings.app_base_url.rstrip("/")

    def provision(ctx: LaneContext) -> bool:
        return provision_step(ctx, base_url)

    return [
        ("uninstall", uninstall_step),  # first: a confirmed uninstall makes the rest moot
        ("provision", provision),
        ("reconcile", reconcile_step),
        ("offline", offline_step),
        ("names", names_step),  # the shown clients' names; before clients, which takes their events
        ("clients", clients_step),  # the campaigns' client mirror: first load, events, catch-up, sweep
        ("instant", instant_step),  # instant offers asked for, written onto deals before their win
        ("deals", deals_step),
        ("rewards", rewards_step),  # bundle rewards the deals step recorded: free rows, credits
        ("workflow", workflow_step),
        ("approvals", approvals_step),
        ("campaigns", campaigns_step),  # once per portal-day: birthdays, anniversaries, fixed dates
        ("tiers", tiers_step),  # once per portal-day: levels of clients whose deals left the 12-month window
        ("lifetime", lifetime_step),
        ("healing", healing_step),
        ("guard", guard_step),  # closed bonuses stay closed: items and balance fields put back
        (
            "outbox",
            OutboxStep(
                (
                    *MIRROR_KINDS,
                    *GUARD_KINDS,  # after the mirror: a re-created item is made before its note
                    WorkflowAnswerKind(),
                    NotificationKind(provider_from(settings)),
                    *approval_kinds(settings.b24_client_id or ""),
                    UnsentMailKind(),  # an e-mail the portal saved but could not send
                    WebhookKind(),  # signed POSTs to the administrator's URLs
                    LevelFieldKind(),  # the client's level in the program's tiers field
                )
            ),
        ),
    ]


def wake_probes() -> list[WakeProbe]:
    """What comes due later on a portal: each gives the earliest time after now (a lane wake-up)."""
    return [outbox.next_due, inbox.next_due, lane_health.next_retry, rewards_due]
