"""Report renderers, discovered from this package: each module defines FORMAT, EXTENSIONS, render()."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from types import ModuleType

from adlstrace.errors import UsageError
from adlstrace.report.model import Report


@cache
def _renderers() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "FORMAT") and hasattr(module, "render"):
            found[module.FORMAT] = module
    return found


def formats() -> list[str]:
    return sorted(_renderers())


def renderer(name: str) -> Callable[[Report], str]:
    """Return the render function of format `name`, in any letter case."""
    module = _renderers().get(name.lower())
    if module is None:
        raise UsageError(f"Unknown format {name!r}.", "Use one of: " + ", ".join(formats()) + ".")
    return module.render


def format_for_path(path: str) -> str | None:
    lowered = path.lower()
    for name, module in _renderers().items():
        if lowered.endswith(tuple(module.EXTENSIONS)):
            return name
    return None
