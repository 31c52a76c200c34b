"""The "Bonus requests" smart process: found by its title or created, then its three stages named.

Idempotent like the rest of provisioning: a second run finds the type and the stages and creates
nothing. Its details are recorded as the ``smart_process``/``requests`` provisioned object.
"""

from __future__ import annotations

from typing import Any

from b24app.gateway import BatchResult, Command, PortalCallError, PortalClient
from install import spec


def _raise_errors(result: BatchResult) -> None:
    for label, error in result.errors.items():
        raise PortalCallError(error.code, f"{label}: {error.description}", method=error.method)


def _type(client: PortalClient, language: str, created: list[str]) -> dict[str, Any]:
    title = spec.request_texts(language)["requests_title"]
    found = client.batch({"types": Command("crm.type.list", {"filter": {"title": title}})})
    _raise_errors(found)
    types = (found.get("types") or {}).get("types") or []
    if types:
        return dict(types[0])
    added = client.batch(
        {"type": Command("crm.type.add", {"fields": spec.requests_process_fields(language)})}
    )
    _raise_errors(added)
    created.append("requests_type")
    info = (added.get("type") or {}).get("type")
    if not info:
        raise PortalCallError("PROVISIONING", "the requests smart process could not be created")
    return dict(info)


def provision_requests(client: PortalClient, language: str, created: list[str]) -> dict[str, Any]:
    """Find or create the type and its stages; the details a ``RequestsTarget`` is built from."""
    info = _type(client, language, created)
    etid = int(info["entityTypeId"])
    stage_entity = f"DYNAMIC_{etid}_STAGE_$result[categories][categories][0][id]"
    reads = client.batch(
        {
            "categories": Command("crm.category.list", {"entityTypeId": etid}),
            "stages": Command("crm.status.list", {"filter": {"ENTITY_ID": stage_entity}}),
        }
    )
    _raise_errors(reads)
    categories = reads.get("categories")["categories"]
    category = next((c for c in categories if c.get("isDefault") in ("Y", True)), categories[0])
    cat_id = int(category["id"])
    by_code = {str(s["STATUS_ID"]): s for s in reads.get("stages") or []}
    stages = {status: f"DT{etid}_{cat_id}:{code}" for status, (code, *_rest) in spec.REQUEST_STAGES.items()}
    commands = _stage_commands(etid, cat_id, stages, by_code, spec.request_texts(language))
    if commands:
        result = client.batch(commands)
        _raise_errors(result)
        created.extend(commands)
    return {"entity_type_id": etid, "category_id": cat_id, "stages": stages}


def _stage_commands(
    etid: int, cat_id: int, stages: dict[str, str], by_code: dict[str, Any], names: dict[str, str]
) -> dict[str, Command]:
    """The stages to add (missing) or rename (another name) so the funnel matches the spec."""
    commands: dict[str, Command] = {}
    for status, (_code, semantics, sort) in spec.REQUEST_STAGES.items():
        stage_id = stages[status]
        row = by_code.get(stage_id)
        if row is None:
            fields = {
                "ENTITY_ID": f"DYNAMIC_{etid}_STAGE_{cat_id}",
                "STATUS_ID": stage_id,
                "NAME": names[status],
                "SORT": sort,
                "SEMANTICS": semantics or "",
            }
            commands[f"request_stage_{status}"] = Command("crm.status.add", {"fields": fields})
        elif row.get("NAME") != names[status]:
            commands[f"request_stage_{status}"] = Command(
                "crm.status.update", {"id": row["ID"], "fields": {"NAME": names[status]}}
            )
    return commands
