"""Program commands: the current program document, and saving a new version (validated first)."""

from __future__ import annotations

from typing import Any

from b24app.container import Container
from registry.program.document import Program, current_program, save_program


def current(c: Container, portal_id: int) -> Program:
    with c.db.transaction() as session:
        return current_program(session, portal_id)


def save(c: Container, portal_id: int, document: dict[str, Any], actor: str) -> Program:
    """ProgramError (naming the JSON path) when the document cannot be saved. The portal's lane is
    woken: a program with new campaigns or groups starts the client mirror's first load."""
    with c.db.transaction() as session:
        program = save_program(session, portal_id, document, actor, c.clock.now())
    c.jobs.enqueue_lane(portal_id)
    return program
