"""Activity-type handlers, discovered from the modules of this package."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from adlstrace.activities.base import ActivityHandler


@cache
def _handlers() -> dict[str, ActivityHandler]:
    handlers: dict[str, ActivityHandler] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name in ("base", "generic"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        handler = getattr(module, "HANDLER", None)
        if handler is not None:
            for activity_type in handler.activity_types:
                handlers[activity_type.lower()] = handler
    return handlers


def handler_for(activity_type: str) -> ActivityHandler:
    from adlstrace.activities.generic import HANDLER as generic

    return _handlers().get(activity_type.lower(), generic)


def has_compute_handler(activity_type: str) -> bool:
    return activity_type.lower() in _handlers()
