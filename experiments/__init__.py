"""Studies and their named presets. Each module defines ``PRESETS: dict[str, Preset]``; every
study has a full preset and a ``-tiny`` one that runs in seconds (used by the CLI tests)."""

from __future__ import annotations

import importlib
import pkgutil

from toymodels.config import Preset


def all_presets() -> dict[str, Preset]:
    """Every preset of every module in this package, by name (a duplicate name is an error)."""
    presets: dict[str, Preset] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, preset in getattr(module, "PRESETS", {}).items():
            if name in presets:
                raise ValueError(f"preset {name!r} is defined twice")
            presets[name] = preset
    return presets
