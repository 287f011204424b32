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


# Group titles for ``toymodels list`` (module name -> what a reader looks for), in paper order.
STUDY_TITLES = {
    "intro": "Introduction: 5 features in 2 dimensions (paper §1, figure 1)",
    "basic": "Demonstrating superposition: linear vs ReLU output (paper §2, figures 2-3)",
    "phase": "Superposition as a phase change (paper §4, figures 4-6)",
    "uniform": "Uniform superposition: dimensions per feature, learning dynamics (paper §5-6, figures 7-8, 13)",
    "nonuniform": "Non-uniform and correlated features in 2 dimensions (paper §5, figures 9-12)",
    "transformations": "Geometric transformations during training (paper §6, figure 14)",
    "privileged": "Superposition in a privileged basis (paper §7, figures 15-16)",
    "abs_computation": "Computation in superposition: the |x| model (paper §8, figures 17-19)",
    "double_descent": "Double descent and memorisation (Henighan et al. 2023, figure 20)",
}


def presets_by_study() -> dict[str, tuple[str, dict[str, Preset]]]:
    """The presets grouped by study module: name -> (title, {preset name: Preset}), in the order
    of :data:`STUDY_TITLES` (then any other module alphabetically)."""
    groups: dict[str, tuple[str, dict[str, Preset]]] = {}
    infos = sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    order = {name: k for k, name in enumerate(STUDY_TITLES)}
    for info in sorted(infos, key=lambda i: (order.get(i.name, len(order)), i.name)):
        module = importlib.import_module(f"{__name__}.{info.name}")
        presets = getattr(module, "PRESETS", {})
        if presets:
            title = STUDY_TITLES.get(info.name) or (module.__doc__ or info.name).strip().splitlines()[0]
            groups[info.name] = (title, dict(presets))
    return groups
