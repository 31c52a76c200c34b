"""The outbox: deliveries owed to portals (and clients), made at least once, never doubled.

``store`` keeps the rows, ``plans`` is what a kind tells the machine, ``machine`` is the one
claim / batch / backoff / give-up / record loop (the lane's ``outbox`` step).
"""

from b24app.outbox.machine import OutboxStep
from b24app.outbox.plans import (
    Action,
    Deliver,
    NotReady,
    OutboxKind,
    Outcome,
    Plan,
    PlanningKind,
    Reads,
    Write,
)
from b24app.outbox.store import (
    GIVE_UP_AFTER,
    ObjectNote,
    add,
    add_many,
    backoff,
    next_due,
    note_objects,
    prune,
    remote_id_of,
    row,
)

__all__ = [
    "GIVE_UP_AFTER",
    "Action",
    "Deliver",
    "NotReady",
    "ObjectNote",
    "Outcome",
    "OutboxKind",
    "OutboxStep",
    "Plan",
    "PlanningKind",
    "Reads",
    "Write",
    "add",
    "add_many",
    "backoff",
    "next_due",
    "note_objects",
    "prune",
    "remote_id_of",
    "row",
]
