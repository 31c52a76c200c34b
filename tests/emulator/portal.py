"""One emulated portal: CRM data, the installed applications' registrations, and what apps answered."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.emulator.protocol import B24Error, Services
from tests.emulator.state import CatalogState, PeopleState, Sequences, seed_invoice_pipeline

DEAL_STAGES = [  # (STATUS_ID, NAME, SEMANTICS, SORT) for the general pipeline (category 0)
    ("NEW", "New", None, 10),
    ("PREPARATION", "Preparation", None, 20),
    ("EXECUTING", "In progress", None, 30),
    ("WON", "Deal won", "S", 60),
    ("LOSE", "Deal lost", "F", 70),
]
SPA_STAGES = [
    ("NEW", "New", None, 10),
    ("PREPARATION", "Preparation", None, 20),
    ("CLIENT", "Client", None, 30),
    ("SUCCESS", "Success", "S", 40),
    ("FAIL", "Fail", "F", 50),
]


@dataclass
class AppInstall:
    """A local application on this portal: its token, bindings and registrations."""

    client_id: str
    application_token: str = field(default_factory=lambda: secrets.token_hex(16))
    installed: bool = False
    app_host: str = ""  # host:port of the app's install URL: robot handlers must live there
    events: list[dict[str, Any]] = field(default_factory=list)  # {event, handler, auth_type, offline}
    robots: dict[str, dict[str, Any]] = field(default_factory=dict)
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    placements: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RobotRun:
    event_token: str
    code: str
    document_id: list[str]
    properties: dict[str, Any]
    answered: bool = False
    return_values: dict[str, Any] | None = None
    log: list[str] = field(default_factory=list)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Portal:
    """State of one portal; REST handlers in methods_*.py read and change it."""

    def __init__(
        self, services: Services, *, member_id: str, domain: str, lang: str = "en", plan: str = "basic"
    ):
        self.services = services
        self.member_id = member_id
        self.domain = domain
        self.lang = lang
        self.plan = plan
        self.deleted = False  # every REST call answers 500 PORTAL_DELETED (control: delete_portal)
        self.utc_offset = "+00:00"  # the portal's time zone, as server.time shows it
        self.users = {
            # TIME_ZONE "" means the portal's default (api-reference/common/users/profile.md).
            1: {"ID": "1", "NAME": "Admin", "ADMIN": True, "TIME_ZONE": ""},
            2: {"ID": "2", "NAME": "Manager", "ADMIN": False, "TIME_ZONE": ""},
        }
        self._ids = itertools.count(1)
        self.deals: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.companies: dict[int, dict[str, Any]] = {}
        self.types: dict[int, dict[str, Any]] = {}  # by type id
        self.items: dict[int, dict[int, dict[str, Any]]] = {}  # entityTypeId -> id -> item
        self.categories: dict[int, list[dict[str, Any]]] = {
            2: [{"id": 0, "name": "General", "isDefault": "Y", "entityTypeId": 2, "sort": 300}]
        }
        self.statuses: list[dict[str, Any]] = []
        self.userfields: dict[str, list[dict[str, Any]]] = {
            "CRM_CONTACT": [],
            "CRM_COMPANY": [],
            "CRM_DEAL": [],
        }
        self.comments: list[dict[str, Any]] = []
        self.apps: dict[str, AppInstall] = {}
        self.robot_runs: dict[str, RobotRun] = {}
        self.activities_log: list[dict[str, Any]] = []
        self.sent_emails: list[dict[str, Any]] = []
        self.crm_mailboxes: set[int] = {1}  # users with a mailbox connected to the CRM
        self.shared_crm_mailbox = False  # the portal's shared CRM mailbox
        self.chats: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.chat_messages: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.senders: dict[str, dict[str, Any]] = {}
        self.offline: list[dict[str, Any]] = []  # the offline queue: one record per (app, event, object)
        # api-reference/events/event-offline-get.md: every sample shows "EVENT_DATA": false; True
        # queues the online event's {"FIELDS": {"ID": ...}} instead (the lenient, unverified shape).
        self.offline_event_data = False
        for code, name, semantics, sort in DEAL_STAGES:
            self.add_status("DEAL_STAGE", code, name, semantics, sort)
        self._init_newer_state()

    def _init_newer_state(self) -> None:
        """State of the newer methods (state.py); their tables count ids on their own sequences."""
        self.seq = Sequences()
        self.rows: dict[int, dict[str, Any]] = {}  # product rows of every owner (D, SI, T..), by row id
        self.catalog = CatalogState()
        self.people = PeopleState.seeded(list(self.users), head=1)
        self.log_messages: list[dict[str, Any]] = []  # crm.timeline.logmessage.add records
        self.chat_members: dict[str, set[int]] = {}  # open-line chat id -> users added to it
        self.items[31] = {}  # smart invoices (entityTypeId 31), camelCase like smart-process items
        self.invoice_category = seed_invoice_pipeline(self.seq, self.categories, self.statuses)

    def next_id(self) -> int:
        return next(self._ids)

    def app(self, client_id: str | None) -> AppInstall:
        if client_id is None or client_id not in self.apps:
            raise B24Error("ACCESS_DENIED", "Application context required", 403)
        return self.apps[client_id]

    def add_status(
        self,
        entity_id: str,
        status_id: str,
        name: str,
        semantics: str | None,
        sort: int,
        category_id: int | None = None,
    ) -> dict[str, Any]:
        if any(s["ENTITY_ID"] == entity_id and s["STATUS_ID"] == status_id for s in self.statuses):
            raise B24Error("", "Duplicate STATUS_ID.")
        row = {
            "ID": str(self.next_id()),
            "ENTITY_ID": entity_id,
            "STATUS_ID": status_id,
            "NAME": name,
            "SORT": str(sort),
            "SYSTEM": "N",
            "CATEGORY_ID": category_id,
            "SEMANTICS": semantics,
            "EXTRA": {"SEMANTICS": {"S": "success", "F": "failure"}.get(semantics or "", "process")},
        }
        self.statuses.append(row)
        return row

    def add_pipeline(self, category_id: int) -> None:
        """A deal pipeline (category) with the usual stages, ids prefixed ``C{n}:`` as on a portal."""
        for code, name, semantics, sort in DEAL_STAGES:
            self.add_status(
                f"DEAL_STAGE_{category_id}", f"C{category_id}:{code}", name, semantics, sort, category_id
            )

    def stage_semantic(self, entity_id: str, status_id: str) -> str:
        for s in self.statuses:
            if s["ENTITY_ID"] == entity_id and s["STATUS_ID"] == status_id:
                return str(s["SEMANTICS"] or "P")
        return "P"

    def auth_block(self, app: AppInstall, user_id: int | None) -> list[tuple[str, str]]:
        """The ``auth[...]`` pairs of a delivery; automation (user None) carries no tokens."""
        pairs: list[tuple[str, str]] = []
        if user_id is not None:
            tokens = self.services.issue_tokens(self, app.client_id, user_id)
            pairs += [
                ("auth[access_token]", tokens.access_token),
                ("auth[expires]", str(tokens.expires)),
                ("auth[expires_in]", str(tokens.expires_in)),
                ("auth[scope]", "crm,bizproc,placement"),
                ("auth[user_id]", str(user_id)),
            ]
        pairs += [
            ("auth[domain]", self.domain),
            ("auth[server_endpoint]", self.services.oauth_rest_url()),
            ("auth[client_endpoint]", self.services.client_endpoint(self)),
            ("auth[member_id]", self.member_id),
            ("auth[status]", "L"),
            ("auth[application_token]", app.application_token),
        ]
        return pairs

    def emit(
        self, event: str, entity_id: int, user_id: int | None, extra: dict[str, Any] | None = None
    ) -> None:
        """Deliver an event to every installed app's online handler for it, queue it for offline ones.

        ``data[FIELDS]`` is ``{ID}`` plus ``extra`` (``ENTITY_TYPE_ID`` for smart-process items).
        """
        fields = {"ID": entity_id, **(extra or {})}
        for app in self.apps.values():
            if not app.installed:
                continue  # nothing is delivered before installFinish
            for binding in app.events:
                if binding["event"] == event and binding["offline"]:
                    self._queue_offline(app.client_id, event, fields)
                if binding["event"] == event and not binding["offline"]:
                    form = [
                        ("event", event),
                        ("event_handler_id", str(binding["id"])),
                        *[(f"data[FIELDS][{k}]", str(v)) for k, v in fields.items()],
                        ("ts", str(int(self.services.now()))),
                    ]
                    self.services.deliver_event(binding["handler"], form + self.auth_block(app, user_id))

    def _queue_offline(self, client_id: str, event: str, fields: dict[str, Any]) -> None:
        # The queue keeps the latest state per object: a new change replaces an unreserved record.
        key = tuple(sorted((k, str(v)) for k, v in fields.items()))
        self.offline = [
            e
            for e in self.offline
            if not (
                e["client_id"] == client_id
                and e["EVENT_NAME"] == event
                and e["_object"] == key
                and not e["process_id"]
            )
        ]
        self.offline.append(
            {
                "ID": self.next_id(),
                "TIMESTAMP_X": now_iso(),
                "EVENT_NAME": event,
                "EVENT_DATA": {"FIELDS": dict(fields)} if self.offline_event_data else False,
                "EVENT_ADDITIONAL": {} if self.offline_event_data else False,
                "MESSAGE_ID": secrets.token_hex(8),
                "client_id": client_id,
                "process_id": "",
                "_object": key,
            }
        )
