"""Create (or find) every object the app needs on a portal, in as few batches as dependencies allow.

Round 1 reads what exists; round 2 creates the independent objects that are missing; round 3
reads the smart process's category, stages and fields; round 4 creates fields and stages.
Re-running finds everything in rounds 1 and 3 and creates nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from b24app import i18n
from b24app.gateway import BatchResult, Command, PortalCallError, PortalClient
from install import spec
from install.provision_requests import provision_requests
from registry.bonuses.target import RegistryTarget

ALREADY_DONE = frozenset(
    {"ERROR_HANDLER_ALREADY_EXIST", "ERROR_ACTIVITY_ALREADY_INSTALLED", "ERROR_SENDER_ALREADY_INSTALLED"}
)


@dataclass
class Provisioned:
    """What exists on the portal after provisioning: kind -> key -> remote id (+ details)."""

    objects: dict[tuple[str, str], str] = field(default_factory=dict)
    details: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    target: RegistryTarget | None = None
    requests: dict[str, Any] | None = None  # the "Bonus requests" smart process (RequestsTarget details)
    created: list[str] = field(default_factory=list)


def _raise_errors(result: BatchResult, tolerated: frozenset[str] = frozenset()) -> None:
    """A refused command fails provisioning; a limit hit inside the batch only delays it (the lane
    retries by itself, what was created is found by the next run's reads)."""
    limit = result.limited()
    if limit is not None:
        raise limit
    for label, error in result.errors.items():
        if error.code not in tolerated:
            raise PortalCallError(error.code, f"{label}: {error.description}", method=error.method)


# What the installer page shows as its steps, in order (install/services/installs.py).
PHASES = ("check", "create", "smart_process")


class Provisioner:
    """Runs the four rounds against one portal through its gateway client."""

    def __init__(
        self,
        client: PortalClient,
        urls: spec.Urls,
        language: str,
        user_id: int,
        owners: dict[str, int] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.progress = progress or (lambda _phase: None)  # told each phase (PHASES) as it starts
        self.urls = urls
        self.language = language
        self.user_id = user_id
        self.owners = owners or {}  # robot code -> the AUTH_USER_ID we registered it with
        self.out = Provisioned()
        self._pending_round: dict[str, Command] = {}  # round 4: stages, fields, guard events, together
        self._bound: set[tuple[str, str]] = set()  # (event, handler) bound before this run

    def run(self) -> Provisioned:
        self.progress(PHASES[0])
        existing = self._read_existing()
        self.progress(PHASES[1])
        created = self._create_missing(existing)
        self.progress(PHASES[2])
        type_info = self._smart_process(existing, created)
        self._finish_smart_process(type_info)
        self.out.requests = provision_requests(self.client, self.language, self.out.created)
        return self.out

    def _read_existing(self) -> BatchResult:
        title = spec.texts(self.language)["title"]
        uf_filter = {"filter": {"FIELD_NAME": spec.BALANCE_FIELD}}
        reads = {
            "types": Command("crm.type.list", {"filter": {"title": title}}),
            "uf_contact": Command("crm.contact.userfield.list", uf_filter),
            "uf_company": Command("crm.company.userfield.list", uf_filter),
            "uf_deal": Command("crm.deal.userfield.list", {"filter": {"FIELD_NAME": spec.PERCENT_FIELD}}),
            "events": Command("event.get"),
            "robots": Command("bizproc.robot.list"),
            "activities": Command("bizproc.activity.list"),
            "placements": Command("placement.get"),
        }
        result = self.client.batch(reads)
        _raise_errors(result)
        return result

    def _create_missing(self, existing: BatchResult) -> BatchResult:
        creates: dict[str, Command] = {}
        if not (existing.get("types") or {}).get("types"):
            creates["type"] = Command("crm.type.add", {"fields": spec.smart_process_fields(self.language)})
        for entity in ("contact", "company"):
            if not existing.get(f"uf_{entity}"):
                creates[f"uf_{entity}"] = Command(
                    f"crm.{entity}.userfield.add", {"fields": spec.balance_field(self.language)}
                )
        if not existing.get("uf_deal"):
            creates["uf_deal"] = Command(
                "crm.deal.userfield.add", {"fields": spec.percent_field(self.language)}
            )
        creates.update(self._bindings(existing))
        if not creates:
            return BatchResult()
        result = self.client.batch(creates)
        _raise_errors(result, ALREADY_DONE)
        self.out.created.extend(label for label in creates if label not in result.errors)
        return result

    def _bindings(self, existing: BatchResult) -> dict[str, Command]:
        creates: dict[str, Command] = {}
        bound = {(b.get("event", "").upper(), b.get("handler") or "") for b in existing.get("events") or []}
        self._bound = bound
        for event in spec.OFFLINE_EVENTS:
            self.out.objects[("offline_event", event)] = "offline"
            if (event, "") not in bound:
                creates[f"offline_{event}"] = Command("event.bind", {"event": event, "event_type": "offline"})
        for event in spec.APP_EVENTS:
            self.out.objects[("event", event)] = self.urls.events
            if (event, self.urls.events) not in bound:
                creates[f"bind_{event}"] = Command(
                    "event.bind", {"event": event, "handler": self.urls.events}
                )
        creates.update(self._robots(existing))
        placed = {(p.get("placement"), p.get("handler")) for p in existing.get("placements") or []}
        title = spec.texts(self.language)["title"]
        for tab in spec.TABS:
            self.out.objects[("placement", tab)] = self.urls.tab
            if (tab, self.urls.tab) not in placed:
                params = {
                    "PLACEMENT": tab,
                    "HANDLER": self.urls.tab,
                    "TITLE": title,
                    "LANG_ALL": {
                        code: {"TITLE": text} for code, text in i18n.both(spec.TEXTS["title"]).items()
                    },
                }
                creates[f"tab_{tab}"] = Command("placement.bind", params)
        return creates

    def _robots(self, existing: BatchResult) -> dict[str, Command]:
        """Each code once, as a robot: bizproc-robot/index.md says robots already serve as workflow
        actions, and the portal keys both kinds by application and code. An action an older
        version registered under the same code is removed so the robot can take its place."""
        creates: dict[str, Command] = {}
        robots, actions = _codes(existing.get("robots")), _codes(existing.get("activities"))
        for code in spec.ROBOT_CODES:
            self.out.objects[("robot", code)] = code
            self.out.details[("robot", code)] = {"auth_user_id": self.user_id}
            if code in actions:
                creates[f"legacy_{code}"] = Command("bizproc.activity.delete", {"CODE": code})
            if code not in robots:
                robot = (
                    spec.request_robot_fields(self.language, self.urls.robot(code), self.user_id)
                    if code == spec.REQUEST_CODE
                    else spec.robot_fields(self.language, self.urls.robot(code), self.user_id, code)
                )
                creates[f"robot_{code}"] = Command("bizproc.robot.add", robot)
            elif self.owners.get(code) != self.user_id:  # another administrator installed it again
                fields = {"AUTH_USER_ID": self.user_id}
                creates[f"owner_{code}"] = Command("bizproc.robot.update", {"CODE": code, "FIELDS": fields})
        return creates

    def _smart_process(self, existing: BatchResult, created: BatchResult) -> dict[str, Any]:
        types = (existing.get("types") or {}).get("types") or []
        type_info = types[0] if types else (created.get("type") or {}).get("type")
        if not type_info:
            raise PortalCallError("PROVISIONING", "the registry smart process could not be created")
        for entity in ("contact", "company"):
            uf = existing.get(f"uf_{entity}") or []
            remote = uf[0]["ID"] if uf else created.get(f"uf_{entity}")
            self.out.objects[("field", f"{entity}:{spec.BALANCE_FIELD}")] = str(remote)
        deal_uf = existing.get("uf_deal") or []
        self.out.objects[("field", f"deal:{spec.PERCENT_FIELD}")] = str(
            deal_uf[0]["ID"] if deal_uf else created.get("uf_deal")
        )
        return dict(type_info)

    def _finish_smart_process(self, type_info: dict[str, Any]) -> None:
        etid, type_id = int(type_info["entityTypeId"]), int(type_info["id"])
        stage_entity = f"DYNAMIC_{etid}_STAGE_$result[categories][categories][0][id]"
        reads = {
            "categories": Command("crm.category.list", {"entityTypeId": etid}),
            "stages": Command("crm.status.list", {"filter": {"ENTITY_ID": stage_entity}}),
            "fields": Command(
                "userfieldconfig.list", {"moduleId": "crm", "filter": {"entityId": f"CRM_{type_id}"}}
            ),
        }
        result = self.client.batch(reads)
        _raise_errors(result)
        categories = result.get("categories")["categories"]
        category = next((c for c in categories if c.get("isDefault") in ("Y", True)), categories[0])
        cat_id = int(category["id"])
        stages = self._ensure_stages(etid, cat_id, result.get("stages") or [])
        self._pending_round.update(self._guard_bindings(etid))
        fields = self._ensure_fields(type_id, (result.get("fields") or {}).get("fields") or [])
        self.out.target = RegistryTarget(etid, type_id, cat_id, stages, fields)

    def _guard_bindings(self, etid: int) -> dict[str, Command]:
        """The registry's per-type update/delete events, online and offline (known once the type is)."""
        creates: dict[str, Command] = {}
        for event in spec.guard_events(etid):
            self.out.objects[("event", event)] = self.urls.events
            self.out.objects[("offline_event", event)] = "offline"
            if (event, self.urls.events) not in self._bound:
                creates[f"bind_{event}"] = Command(
                    "event.bind", {"event": event, "handler": self.urls.events}
                )
            if (event, "") not in self._bound:
                creates[f"offline_{event}"] = Command("event.bind", {"event": event, "event_type": "offline"})
        return creates

    def _ensure_stages(self, etid: int, cat_id: int, stages: list[dict[str, Any]]) -> dict[str, str]:
        prefix = f"DT{etid}_{cat_id}:"
        by_code = {str(s["STATUS_ID"]): s for s in stages}
        names = spec.texts(self.language)
        commands: dict[str, Command] = {}
        ids: dict[str, str] = {}
        for state, (code, semantics, sort) in spec.STAGES.items():
            stage_id, wanted = prefix + code, names[state]
            ids[state] = stage_id
            row = by_code.get(stage_id)
            if row is None:
                fields = {
                    "ENTITY_ID": f"DYNAMIC_{etid}_STAGE_{cat_id}",
                    "STATUS_ID": stage_id,
                    "NAME": wanted,
                    "SORT": sort,
                    "SEMANTICS": semantics or "",
                }
                commands[f"stage_{state}"] = Command("crm.status.add", {"fields": fields})
            elif row.get("NAME") != wanted:
                commands[f"stage_{state}"] = Command(
                    "crm.status.update", {"id": row["ID"], "fields": {"NAME": wanted}}
                )
        self._pending_round.update(commands)
        return ids

    def _ensure_fields(self, type_id: int, existing: list[dict[str, Any]]) -> dict[str, str]:
        have = {str(f.get("fieldName")) for f in existing}
        names: dict[str, str] = {}
        for suffix, user_type in spec.REGISTRY_FIELDS.items():
            name = f"UF_CRM_{type_id}_{suffix}"
            names[suffix] = name
            if name not in have:
                field_def = {
                    "entityId": f"CRM_{type_id}",
                    "fieldName": name,
                    "userTypeId": user_type,
                    "mandatory": "N",
                    "editFormLabel": _labels(suffix),
                    "settings": {"PRECISION": 2} if user_type == "double" else {},
                }
                self._pending_round[f"field_{suffix}"] = Command(
                    "userfieldconfig.add", {"moduleId": "crm", "field": field_def}
                )
        if self._pending_round:
            result = self.client.batch(self._pending_round)
            _raise_errors(result)
            self.out.created.extend(self._pending_round)
            self._pending_round = {}
        return names


def _codes(listing: Any) -> set[str]:
    if isinstance(listing, dict):
        listing = list(listing.values())
    return {str(code) for code in listing or []}


def _labels(key: str) -> dict[str, str]:
    return i18n.both(spec.TEXTS[key])
