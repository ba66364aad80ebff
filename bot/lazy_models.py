"""aiogram's Telegram types with their pydantic validators built on first use, not at import.

Importing aiogram builds a validator and a serialiser for each of its ~400 types and methods:
about 110 MB of memory and 3 s of start-up, while Koldo uses a few dozen of them. aiogram already
asks pydantic to defer each type (`defer_build`), then rebuilds them all at the end of
`aiogram.types`, passing a namespace of every type's name. `install()` keeps that namespace and
lets pydantic build each model when it is first used (pydantic's own mechanism for deferred
models), with the same namespace. It must run before aiogram is imported; should a later aiogram
or pydantic no longer fit, models are simply built as before and only the memory is lost.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

AIOGRAM = "aiogram."  # its types and methods, and subclasses of them elsewhere
TYPES = "aiogram.types."
_namespace: dict[str, Any] | None = None
_original: Any = None


def install() -> None:
    global _original
    if _original is not None or "aiogram" in sys.modules:
        return
    _original = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]
    BaseModel.model_rebuild = classmethod(_model_rebuild)  # type: ignore[method-assign,assignment]


def _model_rebuild(cls: type[BaseModel], *args: Any, **kwargs: Any) -> bool | None:
    global _namespace
    if any(base.__module__.startswith(AIOGRAM) for base in cls.__mro__):
        given = kwargs.get("_types_namespace")
        if given is None and _namespace is not None:
            kwargs["_types_namespace"] = _namespace  # first use: build with aiogram's names
        elif given is not None and "Update" in given and cls.__module__.startswith(TYPES):
            _namespace = given  # the end of aiogram.types, asking for every type: stay deferred
            return None
    return _original(cls, *args, **kwargs)  # type: ignore[no-any-return]


def build(*models: type[BaseModel]) -> None:
    """Build these now, at start-up, so the first updates do not pay for them."""
    for model in models:
        if not model.__pydantic_complete__:
            model.model_rebuild()
