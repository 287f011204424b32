"""``toymodels sae``: a tiny preset end to end into a temporary results dir, --list, and one-line
errors with exit code 2."""

import pytest

from toymodels import store
from toymodels.cli import main
from toymodels.sae import SAE_PRESETS

FAST = ["--train.steps", "40", "--train.n-calls", "1", "--train.eval-samples", "256",
        "--grid.coef", "0.3", "1.0", "--grid.dict-ratio", "1.0", "--no-progress"]


@pytest.mark.entry
def test_sae_tiny_preset_runs_end_to_end(tmp_path, capsys, layout_checked):
    assert main(["sae", "sharkey-tiny", "--results-dir", str(tmp_path), *FAST]) == 0
    out = capsys.readouterr().out
    assert "mmcs_recall" in out and "wrote" in out
    study = [p for p in tmp_path.iterdir() if p.name.startswith("sharkey-tiny-") and (p / "table.csv").exists()]
    assert len(study) == 1
    rows = store.read_csv(study[0] / "table.csv")
    assert [float(r["coef"]) for r in rows] == [0.3, 1.0]
    for f in ("sharkey_heatmaps.png", "sharkey_dead_and_recovery.png", "study.json"):
        assert (study[0] / f).stat().st_size > 0
    assert layout_checked == [], "no clipped or overlapping text in the study's plots"
    (sweep,) = [p for p in tmp_path.iterdir() if p.name.startswith("sharkey-tiny-relu_l1-")]
    assert store.is_complete(sweep)
    # a second run reuses the finished sweep
    assert main(["sae", "sharkey-tiny", "--results-dir", str(tmp_path), *FAST]) == 0
    assert "already complete" in capsys.readouterr().out


def test_sae_list_lists_every_preset_with_command_and_runtime(capsys):
    assert main(["sae", "--list"]) == 0
    out = capsys.readouterr().out
    for name, p in SAE_PRESETS.items():
        assert name in out and p.command in out
    assert out.count("expected runtime:") == len(SAE_PRESETS)
    assert {"sharkey", "sharkey-tiny", "tms-5-2", "tms-20-5", "wrongL0", "absorb"} <= set(SAE_PRESETS)
    assert main(["list"]) == 0
    assert "sae sharkey-tiny" in capsys.readouterr().out


BAD = [(["--train.steps", "0"], "train.steps"), (["--grid.coef", "-1"], "grid.coef[0]"),
       (["--grid.dict-ratio", "0"], "grid.dict_ratio[0]"), (["--source.d", "0"], "source.d"),
       (["--train.resample-at", "999999"], "train.resample_at[0]")]


@pytest.mark.parametrize("args,field", BAD, ids=[f for _, f in BAD])
def test_bad_value_is_one_line_exit_2_and_writes_nothing(args, field, tmp_path, capsys):
    code = main(["sae", "sharkey-tiny", "--results-dir", str(tmp_path / "r"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and field in err and "must be" in err, err
    assert not (tmp_path / "r").exists()


def test_bad_k_for_topk_family_and_unknown_preset(tmp_path, capsys):
    assert main(["sae", "wrongL0-tiny", "--results-dir", str(tmp_path), "--grid.coef", "0"]) == 2
    assert "positive k" in capsys.readouterr().err
    assert main(["sae", "no-such-study"]) == 2
    err = capsys.readouterr().err
    assert "unknown SAE preset" in err and "sharkey-tiny" in err
