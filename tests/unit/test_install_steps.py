"""The installer page's steps and advice: which phase is done, under way or failed, and what the
administrator should check for a refusal (ru and en)."""

from __future__ import annotations

from handlers.install import CHECK_LATER, CHECK_RIGHTS, advice, steps


def _states(status: str, phase: str | None) -> list[str]:
    return [s["state"] for s in steps(status, phase, "en")]


def test_steps_follow_the_phase_under_way() -> None:
    assert _states("installing", None) == ["todo", "todo", "todo"]
    assert _states("installing", "create") == ["done", "current", "todo"]
    assert _states("failed", "smart_process") == ["done", "done", "failed"]
    assert _states("installed", "done") == ["done", "done", "done"]
    assert steps("installing", None, "ru")[2]["label"].startswith("Создаём смарт-процесс")


def test_a_refusal_asks_to_check_rights_and_scopes_anything_else_to_retry() -> None:
    assert advice("batch: ACCESS_DENIED: Access denied!") == CHECK_RIGHTS
    assert advice("crm.type.add: insufficient_scope: ") == CHECK_RIGHTS
    assert advice("crm.type.add: INTERNAL_SERVER_ERROR: boom") == CHECK_LATER
