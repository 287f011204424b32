"""The figure contract: one module per paper figure, each a :class:`Figure` whose claims are numbers.

A figure module ``figures/figNN_<name>.py`` defines ``FIGURE = Figure(...)`` (or ``FIGURES = [...]``).
Its pieces:

* ``sweeps(tiny) -> list[SweepConfig]``: what must be trained (full size, or the seconds-long
  ``tiny`` version used by the tests). The runner trains what is missing through
  :func:`toymodels.sweep.run_sweep`, so finished results (from ``toymodels sweep`` or an earlier
  ``toymodels figures``) are reused, and an interrupted run resumes.
* ``draw(ctx) -> FigureOutput``: load results → analysis → plot. It returns the matplotlib figure,
  the checked :class:`Claim` s and the plotted numbers; the runner writes
  ``<out>/<id>-<name>.png`` and ``<out>/<id>-<name>.json``.

A claim is checked against the paper's expected outcome, stated with its tolerance, and records
what was measured. Every claim carries a ``source``: where its criterion comes from — the paper's
words (quoted, with the section), the exact theory, a closed form of paper_spec §4, or a published
re-run with its number ([NB], [NBrun], [R], ... tags of paper_spec §0) — and, where the paper is
only qualitative, the basis of the tolerance. No criterion is chosen by looking at our own results.
A failing claim is reported as failing (never loosened to pass).

In ``tiny`` mode the models are trained for seconds. A figure lists in ``tiny_supported`` the
claims (by index) whose criterion does not depend on training length (closed forms, plumbing
identities, fast-converging models), with why; the default test run asserts those, and
``tiny_unsupported`` says why the others cannot hold at that scale.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from toymodels.config import SweepConfig


@dataclasses.dataclass(frozen=True)
class Claim:
    """One checked statement: ``text`` says what is expected (with its tolerance), ``measured``
    what was found, ``passed`` whether it holds."""

    text: str
    measured: str
    passed: bool
    value: Any = None
    """The measured number(s), JSON-ready (floats, lists); None when ``measured`` says it all."""
    source: str = ""
    """Where the criterion comes from: the paper's words (quote + section), the exact theory, a
    closed form (paper_spec §4.x) or a published re-run with its number (paper_spec §0 tags), and
    the basis of any tolerance the source does not give."""


def claim(text: str, value, ok: bool, measured: str | None = None, source: str = "") -> Claim:
    """Build a Claim; ``measured`` defaults to a compact rendering of ``value``."""
    return Claim(text, measured if measured is not None else _render(value), bool(ok), _jsonable(value), source)


def claim_between(text: str, value, lo: float, hi: float, fmt: str = ".3g", source: str = "") -> Claim:
    """Claim that every entry of ``value`` lies in [lo, hi] (NaN fails)."""
    v = np.atleast_1d(np.asarray(value, dtype=float))
    ok = bool(v.size) and bool(np.all((v >= lo) & (v <= hi)))
    if v.size == 0:
        shown = "nothing measured"
    elif v.size == 1:
        shown = f"{v[0]:{fmt}}"
    else:
        shown = f"min {np.nanmin(v):{fmt}}, max {np.nanmax(v):{fmt}} over {v.size}" if np.isfinite(v).any() else "NaN"
    return Claim(text, shown, ok, _jsonable(value), source)


def with_sources(claims: Sequence[Claim], sources: Sequence[str]) -> list[Claim]:
    """The claims with ``source`` set from ``sources`` (one per claim, in order; a claim that already
    has a source keeps it)."""
    if len(claims) != len(sources):
        raise ValueError(f"{len(claims)} claims but {len(sources)} sources")
    return [c if c.source else dataclasses.replace(c, source=src) for c, src in zip(claims, sources)]


def nearest_log_index(values, target: float) -> int:
    """Index of the entry of ``values`` (e.g. a density axis) nearest ``target`` on a log scale."""
    return int(np.argmin(np.abs(np.log(np.asarray(values, dtype=float)) - np.log(target))))


def _render(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, np.ndarray) and value.size <= 12:
        return np.array2string(value, precision=3, separator=", ")
    return str(value)


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclasses.dataclass
class FigureOutput:
    """What ``draw`` returns: the figure, its checked claims, and the plotted numbers."""

    fig: Any
    claims: list[Claim]
    data: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class FigureContext:
    """What ``draw`` gets: the finished runs (in the order ``sweeps`` gave them) and the mode."""

    runs: list  # list[toymodels.store.Run]
    tiny: bool
    figure: "Figure"


@dataclasses.dataclass(frozen=True)
class Figure:
    """A paper figure: what to train, how to draw it, what the paper claims."""

    id: str
    """Two-digit target number of paper_spec section 6, e.g. "01"."""
    name: str
    """Short slug, e.g. "intro-pentagon"; files are ``<id>-<name>.png/.json``."""
    title: str
    section: str
    """Where it is in the paper and the spec, e.g. "paper §1; spec 3.1"."""
    paper_claim: str
    """One line: what the paper says the figure shows."""
    sweeps: Callable[[bool], Sequence[SweepConfig]]
    draw: Callable[[FigureContext], FigureOutput]
    runtime_cpu: str = "not yet measured"
    """Measured wall time of the full version on a named CPU."""
    runtime_gpu: str = "not yet measured (no GPU available to this work)"
    tiny_supported: tuple = ()
    """((claim index, why the tiny run supports it), ...): claims the default tests assert on the tiny run."""
    tiny_unsupported: str = "the tiny models are trained for a few hundred steps, far from the paper's optima"
    """Why the other claims cannot hold at the tiny scale."""

    @property
    def stem(self) -> str:
        return f"{self.id}-{self.name}"


def all_figures() -> list[Figure]:
    """Every Figure of the ``figures/fig*.py`` modules, sorted by id (a duplicate id is an error)."""
    import figures

    found: dict[str, Figure] = {}
    for info in sorted(pkgutil.iter_modules(figures.__path__), key=lambda i: i.name):
        if not info.name.startswith("fig"):
            continue
        module = importlib.import_module(f"figures.{info.name}")
        items = list(getattr(module, "FIGURES", [])) + ([module.FIGURE] if hasattr(module, "FIGURE") else [])
        for f in items:
            if f.id in found:
                raise ValueError(f"figure id {f.id} is defined twice ({found[f.id].name}, {f.name})")
            found[f.id] = f
    return [found[k] for k in sorted(found)]


def select(figs: list[Figure], names: Sequence[str]) -> list[Figure]:
    """Figures matching any of ``names`` (an id like "1" or "01", a name, or a stem); all if empty."""
    if not names:
        return figs
    chosen = []
    for n in names:
        hit = [f for f in figs if n in (f.id, f.name, f.stem) or (n.isdigit() and int(n) == int(f.id))]
        if not hit:
            raise KeyError(n)
        chosen += [f for f in hit if f not in chosen]
    return chosen


FIGURES_DIR = Path(__file__).resolve().parent
REPO_DIR = FIGURES_DIR.parent


def provenance() -> dict:
    """What made an output: the git commit of the code (and whether the work tree had uncommitted
    changes to tracked files other than the gallery's own PNG/JSON/README outputs) and the versions of python, jax, jaxlib, numpy and toymodels."""
    import platform
    import subprocess
    from importlib import metadata

    def git(*args):
        try:
            r = subprocess.run(["git", "-C", str(REPO_DIR), *args], capture_output=True, text=True, timeout=20)
            return r.stdout if r.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    commit = git("rev-parse", "HEAD")
    commit = commit.strip() if commit else None
    status = git("status", "--porcelain", "--untracked-files=no")
    versions = {"python": platform.python_version()}
    for pkg in ("jax", "jaxlib", "numpy", "toymodels"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"git_commit": commit, "git_dirty": None if status is None else code_dirty(status), "versions": versions}


def code_dirty(porcelain: str) -> bool:
    """Whether ``git status --porcelain`` output lists a changed tracked file other than the
    gallery's own outputs (figures/*.json, *.png, README.md, rewritten while it is regenerated)."""
    for line in porcelain.splitlines():
        path = line[3:].split(" -> ")[-1]  # "XY path" or "XY old -> new"
        if path and not (path.startswith("figures/") and path.endswith((".json", ".png", ".md"))):
            return True
    return False
