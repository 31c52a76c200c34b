"""One place for ru/en texts: every text the code marks (``N_``, ``t``) or a template shows (``_``)
is in the catalogs, the Russian one translates each, and no catalog entry is left unused."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from b24app.i18n import LOCALE_DIR, both, t

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"N_": None, "_": None, "t": (2,)}
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _marked() -> set[str]:
    found: set[str] = set()
    for package in ("b24app", "bootstrap", "handlers", "registry", "install"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / package, METHODS, keywords=KEYWORDS, options_map=OPTIONS, comment_tags=()
        ):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def _catalog(code: str) -> dict[str, str]:
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return {str(m.id): str(m.string) for m in read_po(source, abort_invalid=True) if m.id}


def test_every_marked_text_has_its_russian_and_the_catalogs_hold_nothing_else() -> None:
    marked, russian, english = _marked(), _catalog("ru"), _catalog("en")
    assert len(marked) > 90
    assert sorted(marked - set(russian)) == [] and sorted(set(russian) - marked) == []
    assert [m for m in marked if not russian[m]] == []
    assert set(english) == set(russian)  # the English catalog lists the msgids for translators


def test_texts_come_out_in_the_portals_language() -> None:
    assert (
        t("ru", "Bonuses") == "Бонусы" and t("en", "Bonuses") == "Bonuses" and t("de", "Bonuses") == "Bonuses"
    )
    assert both("Write-off") == {"ru": "Списание", "en": "Write-off"}
