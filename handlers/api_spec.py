"""The OpenAPI side of the public API: one SpecTree (spectree + pydantic) validates request bodies and
queries and serves the document it generates from the same models at /api/v1/openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from handlers.api_schemas import Error, Problem
from handlers.forms import BadRequest

F = TypeVar("F", bound=Callable[..., Any])
BEARER = "bearer"


class Invalid(BadRequest):
    """A request the schema refused (422, the field named)."""


def _refuse(req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any = None) -> None:
    """Turn spectree's validation failure into our error answer naming the first field at fault."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise Invalid(field, str(first["msg"]))
    if error is not None:
        raise Invalid("body", str(error)[:200])


spec = SpecTree(
    "flask",
    title="Bonus registry public API",
    version="1",
    path="apidoc",  # spectree's own doc routes are not registered: /api/v1/openapi.json is ``document``
    page_templates={},
    annotations=False,
    mode="strict",  # only the routes it validates: the portal-facing handlers are not this API
    validation_error_status=422,
    before=_refuse,
    security_schemes=[
        SecurityScheme(name=BEARER, data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")),
    ],
    security={BEARER: []},
)


def documented(
    *,
    ok: type[BaseModel] | None,
    skip: bool = False,
    json: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (401,),
    tag: str = "clients",
    extra: dict[int, type[BaseModel]] | None = None,
) -> Callable[[F], F]:
    """Validate the request with ``json``/``query`` and document the answers (typed for mypy)."""
    codes: dict[str, Any] = {f"HTTP_{code}": Problem if code == 422 else Error for code in errors}
    codes["HTTP_429"] = Error
    for code, model in (extra or {}).items():
        codes[f"HTTP_{code}"] = model
    if ok is not None:
        codes["HTTP_200"] = ok
    plain = () if ok is not None else ("HTTP_200",)  # a body that is no JSON (CSV)
    decorator = spec.validate(
        json=json, query=query, resp=Response(*plain, **codes), tags=[tag], skip_validation=skip
    )
    return cast(Callable[[F], F], decorator)


def validated(part: str) -> Any:
    """The model spectree validated for ``part`` (json, query) of the current request."""
    return getattr(getattr(request, "context", None), part, None)


doc_bp = Blueprint("api_doc", __name__)


@doc_bp.get("/api/v1/openapi.json")
def document() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of the public API (no key needed)."""
    return jsonify(spec.spec)
