"""WCAG AA checks computed in the page: text contrast (1.4.3) and input borders (1.4.11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, Page

_MEASURE = (Path(__file__).parent / "contrast.js").read_text()


def contrast(target: Page | Frame, selector: str = "body *") -> list[dict[str, Any]]:
    """Every measured text and input border: ``{kind, text, color, ratio, need}``."""
    return list(target.evaluate(_MEASURE, selector))


def contrast_failures(target: Page | Frame, selector: str = "body *") -> list[dict[str, Any]]:
    return [m for m in contrast(target, selector) if m["ratio"] < m["need"]]


def fits_width(target: Page | Frame) -> bool:
    """Nothing makes the page scroll sideways (tables scroll inside their own wrapper)."""
    root = "document.documentElement"
    return bool(target.evaluate(f"{root}.scrollWidth <= {root}.clientWidth"))
