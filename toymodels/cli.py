"""The ``toymodels`` command line: the only place that parses argv.

  toymodels sweep PRESET [--overrides]   train a preset (tyro flags override any config field)
  toymodels sweep --config FILE [--overrides-file F] [--overrides]   rerun a stored run's config
  toymodels list                         presets with description, command, expected runtime
  toymodels show RUN_DIR                 summary table of a finished sweep
  toymodels analyze RUN_DIR...           analysis tables and plots into each run directory
  toymodels figures [NAMES] [--tiny]     regenerate the paper's figures (--list to see them)
  toymodels sae PRESET [--overrides]     SAE recovery studies (toymodels sae --list)
  toymodels bench [...]                  throughput benchmarks
  toymodels explore RUN_DIR [--out F]    one self-contained interactive HTML page of a sweep
  toymodels export RUN_DIR [--out F]     a versioned, hashed .zip bundle of a finished run
  toymodels import BUNDLE [--to DIR]     verify and unpack a bundle (analyze/show take one too)

Bad input gets one line on stderr naming the field and its allowed range, and exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

USAGE = __doc__.split("\n\n")[1]


class UsageError(Exception):
    """A one-line user error; exit code 2."""


def _presets():
    from experiments import all_presets
    return all_presets()


def _fail(msg: str) -> int:
    print(f"toymodels: error: {msg}", file=sys.stderr)
    return 2


def cmd_list(argv: list[str]) -> int:
    """Every preset, grouped by study in paper order, toy-model sweeps and SAE studies alike.

    Each entry: name, description, the command, the measured runtime and the expected outcome.
    """
    from experiments import presets_by_study
    from toymodels import labels

    groups = [(title, [(name, p.description, p.command, p.expected_runtime, p.expected_outcome)
                       for name, p in presets.items()])
              for title, presets in presets_by_study().values()]
    try:
        from toymodels.sae import SAE_PRESETS
    except ImportError:
        SAE_PRESETS = {}
    if SAE_PRESETS:
        groups.append(("SAEs against ground-truth features (docs/sae_recovery.md)",
                       [(name, p.description, p.command, p.expected_runtime, p.expected_outcome)
                        for name, p in SAE_PRESETS.items()]))
    print(labels.format_preset_groups(groups))
    return 0


def cmd_sweep(argv: list[str]) -> int:
    import tyro

    from toymodels import store
    from toymodels.config import ConfigError, SweepConfig, validate
    from toymodels.sweep import ChunkOOMError, run_sweep

    presets = _presets()
    if argv and (argv[0] == "--config" or argv[0].startswith("--config=")):
        from toymodels.rerun import config_from_argv
        preset_cfg, rest, description = config_from_argv(argv)
        preset = presets.get(preset_cfg.name)
        report = preset.report if preset is not None and preset.config.name == preset_cfg.name else None
        name = preset_cfg.name
    elif not argv or argv[0].startswith("-"):
        if argv and argv[0] in ("-h", "--help"):
            print("usage: toymodels sweep PRESET [--overrides]\n\npresets: " + ", ".join(presets))
            return 0
        raise UsageError(f"sweep needs a PRESET, one of: {', '.join(presets)}")
    else:
        name, rest = argv[0], argv[1:]
        if name not in presets:
            raise UsageError(f"unknown preset {name!r}; choose one of: {', '.join(presets)}")
        preset = presets[name]
        preset_cfg, description, report = preset.config, preset.description, preset.report
    _reject_empty_sequences(rest, SweepConfig)
    cfg = tyro.cli(SweepConfig, default=preset_cfg, args=rest, prog=f"toymodels sweep {name}",
                   description=description)
    try:
        validate(cfg)
        result = run_sweep(cfg)
    except ConfigError as e:  # before anything is written: name the flag as the user typed it
        raise UsageError(e.cli_message()) from None
    except ChunkOOMError as e:  # finished chunks are saved; a smaller --chunk-size resumes the rest
        return _fail(str(e))
    import jax
    if jax.process_index() != 0:  # several processes: process 0 reports and writes the figures
        return 0
    if result.trained_models == 0:
        print(f"{result.run_dir}: already complete, nothing trained")
    else:
        n_steps = result.trained_models * cfg.train.steps
        print(f"{result.run_dir}: trained {result.trained_models} models in {result.wall_s:.1f} s "
              f"({n_steps / result.wall_s:,.0f} model-steps/s)")
    if report is not None:
        for path in report(store.Run(result.run_dir)):
            print(f"wrote {path}")
    if result.nonfinite_cells:
        print(f"WARNING: {len(result.nonfinite_cells)} cells ended with a non-finite loss or weights "
              f"(flagged finite=0 in metrics.csv): " + "; ".join(result.nonfinite_cells[:5]), file=sys.stderr)
        return 1
    return 0


def _sequence_flags(cls, prefix: str = "--") -> set[str]:
    """The CLI flags of every tuple-valued field of the (nested) config dataclass ``cls``."""
    import dataclasses
    import typing
    flags = set()
    for name, tp in typing.get_type_hints(cls).items():
        flag = prefix + name.replace("_", "-")
        if dataclasses.is_dataclass(tp):
            flags |= _sequence_flags(tp, flag + ".")
        elif typing.get_origin(tp) is tuple:
            flags.add(flag)
    return flags


def _reject_empty_sequences(args: list[str], cls) -> None:
    """A sequence flag followed by no value (``--grid.density`` alone) would silently drop the axis;
    tyro accepts it, so refuse it here."""
    flags = _sequence_flags(cls)
    for i, a in enumerate(args):
        if a in flags and (i + 1 == len(args) or args[i + 1].startswith("--")):
            raise UsageError(f"{a} was given no values: give one or more (e.g. {a} 0.1 0.01), "
                             f"or leave the flag out to keep the preset's")


def format_table(header: list[str], rows: list[list]) -> str:
    cells = [[_fmt(v) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def cmd_show(argv: list[str]) -> int:
    from toymodels.store import Run

    if len(argv) != 1 or argv[0].startswith("-"):
        raise UsageError("usage: toymodels show RUN_DIR   (or a results folder, to list its runs)")
    runs_inside = _runs_inside(argv[0])
    if runs_inside is not None:
        print(_runs_table(argv[0], runs_inside))
        return 0
    run = _load_run(argv[0])
    cfg = run.config
    print(f"{run.dir}  ({run.meta.get('wall_s', '?')} s, {run.meta.get('n_models', '?')} models, "
          f"{cfg.train.steps} steps x batch {cfg.train.batch_size}, backend {run.meta.get('backend', '?')})")
    for b in run.buckets:
        value_axes = [a for a in b.axes if a != "seed"]
        print(f"\nbucket {b.index}: {b.model['kind']} n={b.model['n_features']} m={b.model['n_hidden']}; "
              f"best of {len(b.axes['seed'])} seeds per cell by eval loss")
        loss = b.metrics["eval_loss"]
        flat_loss = loss.reshape(-1, loss.shape[-1])
        best = np.nanargmin(np.where(np.isfinite(flat_loss), flat_loss, np.inf), axis=-1)
        grid_idx = list(np.ndindex(*loss.shape[:-1])) or [()]
        rows = []
        for c, idx in enumerate(grid_idx):
            s = best[c]
            row = [b.axes[a][i] for a, i in zip(value_axes, idx)]
            m = {k: v.reshape(-1, v.shape[-1])[c] for k, v in b.metrics.items()}
            row += [int(b.axes["seed"][s]), m["eval_loss"][s], int(m["n_represented"][s]),
                    m["dims_per_feature"][s], f"{int(m['finite'].sum())}/{len(m['finite'])}"]
            rows.append(row)
        print(format_table(value_axes + ["best seed", "eval loss", "represented", "dims/feature", "finite"], rows))
    if run.meta.get("nonfinite_cells"):
        print(f"\nnon-finite cells: {run.meta['nonfinite_cells']}")
    return 0


def _runs_inside(path: str) -> list[Path] | None:
    """The run directories directly inside ``path`` when it is a folder of runs (e.g.
    ``results``) rather than a run directory; None otherwise."""
    folder = Path(path)
    if not folder.is_dir() or (folder / "config.json").exists():
        return None
    runs = sorted(p for p in folder.iterdir() if (p / "config.json").exists())
    return runs or None


def _runs_table(folder: str, runs: list[Path]) -> str:
    """One line per run of a results folder: name, status, models, wall time, preset."""
    from toymodels.store import read_json

    rows = []
    for r in runs:
        try:
            meta = read_json(r / "meta.json") if (r / "meta.json").exists() else {}
        except (OSError, ValueError):
            meta = {"status": "meta.json unreadable"}
        wall = meta.get("wall_s")
        rows.append([r.name, meta.get("status", "unfinished"), meta.get("n_models", "?"),
                     f"{wall:.1f}" if isinstance(wall, (int, float)) else "?"])
    return (f"{folder}: {len(runs)} run{'s' if len(runs) != 1 else ''} (pass one to `toymodels show` or `toymodels analyze`)\n"
            + format_table(["run", "status", "models", "wall s"], rows))


def _load_run(path: str):
    from toymodels.store import Run, StoreError

    if Path(path).is_file() and path.endswith(".zip"):  # a bundle (toymodels export): verify, unpack beside it
        from toymodels.bundle import BundleError, import_bundle
        try:
            path = str(import_bundle(Path(path)))
        except BundleError as e:
            raise UsageError(str(e)) from None
        print(f"bundle verified (sha256 of every file); run directory: {path}", file=sys.stderr)
    runs_inside = _runs_inside(path)
    if runs_inside is not None:
        names = ", ".join(p.name for p in runs_inside[:8]) + (" ..." if len(runs_inside) > 8 else "")
        raise UsageError(f"{path} is a folder of {len(runs_inside)} run{'s' if len(runs_inside) != 1 else ''}, not one run; pass run "
                         f"directories, e.g. {Path(path) / runs_inside[0].name} (runs: {names})")
    try:
        return Run(path)
    except (FileNotFoundError, StoreError) as e:
        raise UsageError(str(e)) from None


def cmd_analyze(argv: list[str]) -> int:
    if not argv or any(a.startswith("-") for a in argv):
        raise UsageError("usage: toymodels analyze RUN_DIR [RUN_DIR ...]")
    from toymodels.report import analyze_run
    runs = [_load_run(a) for a in argv]  # check every directory before analysing any
    for run in runs:
        print(analyze_run(run))
    return 0


def cmd_figures(argv: list[str]) -> int:
    from figures.run import main as figures_main
    return figures_main(argv)


def cmd_sae(argv: list[str]) -> int:
    from toymodels.sae.cli import main as sae_main
    return sae_main(argv)


def cmd_bench(argv: list[str]) -> int:
    from toymodels.bench import main as bench_main
    return bench_main(argv)


def _path_and_option(argv: list[str], option: str, usage: str) -> tuple[str, str | None]:
    """``PATH [--option VALUE]`` (or ``--option=VALUE``) -> (PATH, VALUE or None)."""
    args, value = list(argv), None
    for i, a in enumerate(args):
        if a == option and i + 1 < len(args):
            value = args[i + 1]
            del args[i:i + 2]
            break
        if a.startswith(option + "="):
            value = a.split("=", 1)[1]
            del args[i]
            break
    if len(args) != 1 or args[0].startswith("-") or value == "":
        raise UsageError(f"usage: {usage}")
    return args[0], value


def cmd_explore(argv: list[str]) -> int:
    path, out = _path_and_option(argv, "--out", "toymodels explore RUN_DIR [--out FILE.html]")
    from toymodels.explore import write_page
    print(f"wrote {write_page(_load_run(path), Path(out) if out else None)}")
    return 0


def cmd_export(argv: list[str]) -> int:
    path, out = _path_and_option(argv, "--out", "toymodels export RUN_DIR [--out FILE.zip]")
    from toymodels.bundle import BundleError, export_run
    run = _load_run(path)  # a finished run, or a one-line error
    try:
        bundle, digest = export_run(run.dir, Path(out) if out else None)
    except BundleError as e:
        raise UsageError(str(e)) from None
    print(f"wrote {bundle} (sha256 {digest}); on another machine: toymodels analyze {bundle.name}")
    return 0


def cmd_import(argv: list[str]) -> int:
    path, to = _path_and_option(argv, "--to", "toymodels import BUNDLE.zip [--to RESULTS_DIR]")
    from toymodels.bundle import BundleError, import_bundle
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such bundle file")
    try:
        rdir = import_bundle(Path(path), Path(to) if to else None)
    except BundleError as e:
        raise UsageError(str(e)) from None
    print(f"{path}: every file matches its sha256; run directory: {rdir}")
    return 0


COMMANDS = {"sweep": cmd_sweep, "list": cmd_list, "show": cmd_show, "analyze": cmd_analyze,
            "figures": cmd_figures, "sae": cmd_sae, "bench": cmd_bench, "explore": cmd_explore,
            "export": cmd_export, "import": cmd_import}


INTERRUPTED = "\ninterrupted: finished chunks are saved; run the same command again to resume"


def _exit_on_sigint(signum, frame) -> None:
    """SIGINT handler of the ``toymodels`` program: one line, exit 130, at any moment.

    A KeyboardInterrupt raised into JAX can be swallowed by a callback (the run goes on) or end in
    a SIGSEGV while XLA's threads are torn down, so the process ends here without unwinding. This
    is safe because every file is written to a temporary name and renamed (toymodels.store): a
    killed write leaves only a temporary file, which the next run removes."""
    import os
    try:
        sys.stdout.flush()
        print(INTERRUPTED, file=sys.stderr, flush=True)
    finally:
        os._exit(130)


def enable_compilation_cache() -> str | None:
    """Keep compiled XLA programs on disk between CLI runs (JAX's persistent compilation cache),
    in $XDG_CACHE_HOME/toymodels/jax (default ~/.cache/toymodels/jax).

    Why: a tiny preset is mostly compilation. `toymodels sweep basic-tiny` took 42 s wall / 8.7 s
    CPU without the cache and 17-21 s / 3.3-3.6 s CPU from the second run on, on the shared
    2-core Xeon of docs/benchmarks.md (2026-12-08, load ~11). Only the command-line entry points
    turn it on (a library import or the tests do not). JAX_COMPILATION_CACHE_DIR, if set, is
    JAX's own setting and wins; TOYMODELS_COMPILATION_CACHE=0 turns ours off."""
    import os

    if os.environ.get("TOYMODELS_COMPILATION_CACHE", "1") == "0" or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "toymodels", "jax")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None  # a read-only home: run without the cache
    import jax

    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # the tiny presets' compiles are short
    return path


def console_main() -> int:
    """The `toymodels` command and `python -m toymodels`: main() with the compilation cache on."""
    enable_compilation_cache()
    return main()


def main(argv: list[str] | None = None) -> int:
    """Run one command. ``argv=None`` means "the program" (sys.argv; Ctrl-C exits 130 at once);
    with an explicit argv (tests, other Python) Ctrl-C raises KeyboardInterrupt inside and returns 130."""
    from toymodels.config import ConfigError

    if argv is None:
        import signal
        signal.signal(signal.SIGINT, _exit_on_sigint)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("usage: toymodels COMMAND ...\n\n" + USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd not in COMMANDS:
        return _fail(f"unknown command {cmd!r}; choose one of: {', '.join(COMMANDS)}")
    try:
        return COMMANDS[cmd](rest)
    except (UsageError, ConfigError) as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    except BrokenPipeError:  # `toymodels list | head`: the reader left; not an error of ours
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(console_main())
