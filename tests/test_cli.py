"""The command line: every tiny preset end to end, and one-line errors (exit 2) for bad input."""

import subprocess
import sys
from pathlib import Path

import pytest

from experiments import all_presets
from toymodels.cli import main

TINY = sorted(n for n in all_presets() if n.endswith("-tiny"))


@pytest.mark.entry
@pytest.mark.parametrize("name", TINY)
def test_every_tiny_preset_runs_from_the_cli(name, tmp_path, capsys):
    assert main(["sweep", name, "--results-dir", str(tmp_path), "--no-progress"]) == 0
    (rdir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    for f in ("config.json", "grid.json", "metrics.csv", "meta.json", "params-b0.npz"):
        assert (rdir / f).exists(), f
    assert main(["sweep", name, "--results-dir", str(tmp_path), "--no-progress"]) == 0
    assert "already complete" in capsys.readouterr().out
    assert main(["show", str(rdir)]) == 0
    assert "best seed" in capsys.readouterr().out


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
