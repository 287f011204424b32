"""The command line: every tiny preset end to end, and one-line errors (exit 2) for bad input."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from experiments import all_presets
from toymodels import store
from toymodels.cli import main

TINY = sorted(n for n in all_presets() if n.endswith("-tiny"))


@pytest.mark.entry
@pytest.mark.parametrize("name", TINY)
def test_every_tiny_preset_runs_from_the_cli(name, tmp_path, capsys, layout_checked):
    assert main(["sweep", name, "--results-dir", str(tmp_path), "--no-progress"]) == 0
    (rdir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    for f in ("config.json", "grid.json", "metrics.csv", "meta.json", "params-b0.npz"):
        assert (rdir / f).exists(), f
    assert main(["sweep", name, "--results-dir", str(tmp_path), "--no-progress"]) == 0
    assert "already complete" in capsys.readouterr().out
    assert main(["show", str(rdir)]) == 0
    assert "best seed" in capsys.readouterr().out
    assert main(["show", str(tmp_path)]) == 0  # a results folder: its runs are listed
    assert rdir.name in capsys.readouterr().out
    # The first hour: every standard plot of `toymodels analyze` has no clipped or overlapping
    # text, and the cells table's structure words agree with its count columns.
    assert main(["analyze", str(rdir)]) == 0
    assert layout_checked == []
    for table in sorted((rdir / "analysis").glob("cells-b*.csv")):
        for row in store.read_csv(table):
            assert_structures_agree_with_counts(row)


def assert_structures_agree_with_counts(row: dict) -> None:
    """The `structures` words of a cells table row against its n_* columns."""
    words = row["structures"]
    counts = {}
    for part in words.split(", ") if words != "nothing represented" else []:
        n, _, label = part.partition(" × ")
        if not n.isdigit():
            n, label = "1", part
        counts[label] = counts.get(label, 0) + int(n)
    not_rep = int(re.match(r"(\d+) not represented", next((p for p in words.split(", ")
                                                            if p.endswith("not represented")), "0 not represented")).group(1))
    assert not_rep == int(row["n_not_represented"]), row
    in_factors = sum(int(m.group(1)) * c for label, c in counts.items()
                     for m in [re.search(r"\((\d+) of them dedicated\)$", label)] if m)
    assert counts.get("dedicated", 0) + in_factors == int(row["n_dedicated"]), row
    factor_features = sum(_features_in(re.sub(r" \(\d+ of them dedicated\)$", "", label)) * c
                          for label, c in counts.items() if not label.endswith("not represented"))
    assert factor_features == int(row["n_represented"]), row


def _features_in(label: str) -> int:
    """How many features one structure of this label holds."""
    m = re.search(r"(\d+) features in", label)
    if m:
        return int(m.group(1))
    sizes = {"dedicated": 1, "alone (weak features interfere)": 1, "antipodal pair (digon)": 2,
             "antipodal pair of unequal norms": 2, "two features sharing one direction (same sign)": 2,
             "triangle": 3, "tetrahedron": 4, "pentagon": 5, "hexagon": 6, "octahedron": 6, "square antiprism": 8}
    return sizes[label]


BAD = [  # the message names the flag as the user typed it
    (["--model.n-features", "0"], "--model.n-features"),
    (["--model.n-hidden", "0"], "--model.n-hidden"),
    (["--grid.density", "0.5", "1.5"], "--grid.density[1]"),
    (["--grid.density", "0"], "--grid.density[0]"),
    (["--data.importance-decay", "-1"], "--data.importance-decay"),
    (["--grid.relative-importance", "nan"], "--grid.relative-importance[0]"),
    (["--train.steps", "0"], "--train.steps"),
    (["--train.batch-size", "0"], "--train.batch-size"),
]


@pytest.mark.parametrize("args,field", BAD, ids=[f for _, f in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(args, field, tmp_path, capsys):
    code = main(["sweep", "intro-tiny", "--results-dir", str(tmp_path / "r"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and field in err and "must be" in err
    assert not (tmp_path / "r").exists()


def test_unknown_preset_and_command(capsys):
    assert main(["sweep", "no-such-preset"]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'no-such-preset'" in err and "intro" in err
    assert main(["frobnicate"]) == 2


def test_unknown_axis_is_rejected(tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["sweep", "intro-tiny", "--results-dir", str(tmp_path), "--grid.no-such-axis", "1"])
    assert e.value.code == 2
    assert not any(tmp_path.iterdir())


def test_unwritable_results_dir(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["sweep", "intro-tiny", "--results-dir", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "results_dir" in err and "writable" in err


def test_show_on_a_missing_run(tmp_path, capsys):
    assert main(["show", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_console_entry_point_lists_presets():
    out = subprocess.run([sys.executable, "-m", "toymodels", "list"], capture_output=True, text=True,
                         cwd=Path(__file__).parents[1], check=True).stdout
    for name in all_presets():
        assert name in out
    assert "expected runtime" in out
