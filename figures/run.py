"""``toymodels figures [NAMES...] [--tiny] [--list]``: train what is missing, redraw, check claims.

For each selected figure: train its sweeps (finished runs are reused, interrupted ones resume),
draw it, and write ``<out>/<id>-<name>.png`` and ``.json`` (the plotted numbers, every claim with
its measured value and pass/fail, the run directories, the wall times and the machine). Then the
gallery ``<out>/README.md`` is rebuilt from every figure JSON in ``<out>``.

Full figures go to ``figures/`` (committed, so the gallery renders on the repository page); tiny
ones default to ``<results-dir>/figures-tiny/`` so a plumbing run never overwrites the gallery.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import sys
import time
from pathlib import Path

from figures.core import FIGURES_DIR, Figure, FigureContext, all_figures, provenance, select


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="toymodels figures", description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="figure ids (1, 01), names or id-name stems; all when omitted")
    p.add_argument("--tiny", action="store_true", help="seconds-long plumbing versions (claims not meaningful)")
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument("--out", default=None, help="output folder (default: figures/, or RESULTS/figures-tiny with --tiny)")
    p.add_argument("--results-dir", default="results", help="where sweeps are trained / found (default: results)")
    p.add_argument("--no-train", action="store_true", help="only redraw; a figure whose runs are missing is an error")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--strict", action="store_true", help="exit 1 when any checked claim fails")
    return p


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def list_figures(figs: list[Figure]) -> str:
    """One block per figure; a GPU runtime shared by every figure (e.g. "not yet measured") is
    said once at the end instead of twenty times."""
    from figures.core import Figure as _F

    gpu_default = _F.__dataclass_fields__["runtime_gpu"].default
    lines = []
    for f in figs:
        lines.append(f"{f.stem}: {f.title}  [{f.section}]")
        lines.append(f"    claim: {f.paper_claim}")
        names = ", ".join(c.name for c in f.sweeps(False)) or "(no training)"
        lines.append(f"    sweeps: {names}")
        gpu = "" if f.runtime_gpu == gpu_default else f"; GPU {f.runtime_gpu}"
        lines.append(f"    runtime: CPU {f.runtime_cpu}{gpu}")
        lines.append(f"    command: toymodels figures {f.id}")
    if any(f.runtime_gpu == gpu_default for f in figs):
        lines.append(f"\nGPU runtimes: {gpu_default}.")
    lines.append("'spec N.M' is a section of docs/paper_spec.md, the experiment spec these figures follow.")
    return "\n".join(lines)


def run_figure(fig: Figure, *, tiny: bool, out: Path, results_dir: str = "results", train: bool = True,
               progress: bool = True) -> dict:
    """Train (or reuse) a figure's sweeps, draw it, write its PNG and JSON; return the JSON record."""
    from toymodels import plotting, store
    from toymodels.sweep import run_sweep

    t0 = time.perf_counter()
    load_before = os.getloadavg()[0]  # timings on a busy machine mean little; keep the load with them
    runs, train_s = [], 0.0
    for cfg in fig.sweeps(tiny):
        cfg = dataclasses.replace(cfg, results_dir=results_dir, progress=progress)
        rdir = store.run_dir(cfg)
        if not store.is_complete(rdir):
            if not train:
                raise FileNotFoundError(f"figure {fig.stem} needs {rdir}, which is not finished (drop --no-train)")
            run_sweep(cfg)
        run = store.Run(rdir)
        runs.append(run)
        train_s += float(run.meta.get("wall_s") or 0.0)
    sweep_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = fig.draw(FigureContext(runs, tiny, fig))
    png = out / f"{fig.stem}.png"
    plotting.save_figure(result.fig, png, dpi=110)
    draw_s = time.perf_counter() - t1
    claims = [dataclasses.asdict(c) for c in result.claims]
    if tiny:  # which claims the tiny scale supports (asserted by the default tests) and why
        supported = dict(fig.tiny_supported) if runs else {
            i: "no training: the claim is computed from closed forms, the same at every scale"
            for i in range(len(claims))}
        for i, c in enumerate(claims):
            c["tiny_checked"] = i in supported
            c["tiny_reason"] = supported.get(i, fig.tiny_unsupported)
    layout = plotting.layout_problems(result.fig)  # clipped or overlapping text; the tests want none
    record = {
        "id": fig.id, "name": fig.name, "title": fig.title, "section": fig.section,
        "paper_claim": fig.paper_claim, "tiny": tiny,
        "command": f"toymodels figures {fig.id}" + (" --tiny" if tiny else ""),
        "png": png.name,
        "layout_problems": layout,
        "claims": claims,
        "all_passed": all(c.passed for c in result.claims),
        "runs": [str(r.dir) for r in runs],
        "train_s": round(train_s, 1),
        "run_wall_s": {str(r.dir): float(r.meta.get("wall_s") or 0.0) for r in runs}, "wall_s_this_call": round(sweep_s + draw_s, 1), "draw_s": round(draw_s, 1),
        "machine": cpu_name(), "load_avg": round(max(load_before, os.getloadavg()[0]), 1), "backend": runs[0].meta.get("backend") if runs else None,
        "date": datetime.date.today().isoformat(),
        "provenance": provenance(),
        "data": result.data,
    }
    store.write_json(out / f"{fig.stem}.json", record)
    return record


def _total_compute_s(records: list[dict]) -> float:
    """Training time of every distinct run (a sweep shared by several figures counts once) plus
    every figure's drawing time."""
    run_s: dict[str, float] = {}
    for r in records:
        per_run = r.get("run_wall_s")
        if per_run is None:  # a record written before per-run times were kept
            per_run = {f"{r['id']}:all": r.get("train_s", 0.0)}
        run_s.update(per_run)
    return sum(run_s.values()) + sum(r.get("draw_s", 0.0) for r in records)


def _cell(text) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_gallery(out: Path) -> Path:
    """Rebuild ``out/README.md`` from the figure JSONs in ``out``."""
    from toymodels import store

    records = [store.read_json(p) for p in sorted(out.glob("[0-9][0-9]-*.json"))]
    n_claims = sum(len(r["claims"]) for r in records)
    n_pass = sum(c["passed"] for r in records for c in r["claims"])
    total = _total_compute_s(records)
    lines = ["# Paper figures, regenerated and checked", "",
             "Each figure is a script in this folder (`figNN_*.py`) that reads saved sweep results, runs the",
             "analysis and checks the paper's claim in numbers. Regenerate all with `toymodels figures`",
             "(trains what is missing, reuses finished runs), one with `toymodels figures ID`, or the",
             "seconds-long plumbing versions with `toymodels figures --tiny`. Claims that fail are shown",
             "failing, with the measured value. The *source* column says where each criterion comes from:",
             "the paper's words (quoted, with the section), the exact theory, a closed form (paper_spec §4) or",
             "a published re-run with its number (tags of paper_spec §0: [NB] notebook, [NBrun] its Colab",
             "re-run, [R] our numpy reference runs), and the basis of any tolerance the source does not give.",
             "\"paper_spec\" and \"spec N.M\" are sections of [docs/paper_spec.md](../docs/paper_spec.md).",
             "Each figure's JSON records the commit and package versions it was made with (`provenance`).", "",
             f"**{n_pass} of {n_claims} claims pass** over {len(records)} figures. Total compute of the set "
             f"as recorded (training each distinct sweep once, plus drawing): {total / 60:.1f} min"
             + (f" on {records[0]['machine']}" if records else "") + ". Training times of runs made on a shared "
             "machine (load average above the core count) overstate the cost.", ""]
    if any(r.get("tiny") for r in records):
        lines += ["> These are **tiny** plumbing runs: the models are far too short-trained for the paper's "
                  "claims.", ""]
    for r in records:
        lines += [f"## {r['id']}. {r['title']}", "",
                  f"*{r['section']}* — paper: {r['paper_claim']}", "",
                  f"![{r['name']}]({r['png']})", "",
                  "| claim | measured | | source |", "|---|---|---|---|"]
        for c in r["claims"]:
            lines.append(f"| {_cell(c['text'])} | {_cell(c['measured'])} | {'pass' if c['passed'] else '**FAIL**'} "
                         f"| {_cell(c.get('source') or '(none recorded)')} |")
        prov = r.get("provenance") or {}
        made_with = ""
        if prov.get("git_commit"):
            made_with = f" · commit {prov['git_commit'][:10]}" + (" (+ uncommitted changes)" if prov.get("git_dirty") else "")
        lines += ["", f"Command: `{r['command']}`{made_with} · training {r.get('train_s', 0):.0f} s + drawing "
                      f"{r.get('draw_s', 0):.0f} s on {r.get('machine', '?')} ({r.get('date', '?')}"
                      + (f", load average {r['load_avg']}" if r.get("load_avg") is not None else "") + ")", ""]
    path = out / "README.md"
    store.atomic_write(path, lambda f: f.write("\n".join(lines).encode()))
    return path


def main(argv: list[str]) -> int:
    from toymodels.cli import UsageError
    from toymodels.sweep import ChunkOOMError

    args = _parser().parse_args(argv)
    figs = all_figures()
    try:
        chosen = select(figs, args.names)
    except KeyError as e:
        raise UsageError(f"unknown figure {e.args[0]!r}; choose from: {', '.join(f.stem for f in figs)}") from None
    if args.list:
        print(list_figures(chosen))
        return 0
    out = Path(args.out) if args.out else (Path(args.results_dir) / "figures-tiny" if args.tiny else FIGURES_DIR)
    out.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    for fig in chosen:
        print(f"== {fig.stem}: {fig.title}", flush=True)
        try:
            rec = run_figure(fig, tiny=args.tiny, out=out, results_dir=args.results_dir,
                             train=not args.no_train, progress=not args.no_progress)
        except (FileNotFoundError, ChunkOOMError) as e:  # finished chunks are kept; rerunning resumes
            raise UsageError(str(e)) from None
        for c in rec["claims"]:
            mark = "pass" if c["passed"] else "FAIL"
            print(f"   [{mark}] {c['text']}: {c['measured']}")
            if not c["passed"]:
                failed.append(f"{fig.stem}: {c['text']}")
        print(f"   wrote {out / rec['png']} (training {rec['train_s']:.0f} s, drawing {rec['draw_s']:.0f} s)")
    gallery = write_gallery(out)
    print(f"gallery: {gallery}" + (f"; {len(failed)} claims fail" if failed else "; every claim passes"))
    if args.tiny and failed:
        print("(tiny runs are plumbing checks; their claims are not expected to pass)")
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
