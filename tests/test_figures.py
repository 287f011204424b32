"""Every figure's tiny version end to end (plumbing: train, draw, PNG + JSON with claims, gallery),
and the runner's selection and listing."""

import json

import pytest

from figures.core import all_figures, claim_between, select
from toymodels.cli import main

FIGURES = all_figures()


@pytest.mark.entry
@pytest.mark.parametrize("fig", FIGURES, ids=[f.stem for f in FIGURES])
def test_every_tiny_figure_draws_and_records_its_claims(fig, tmp_path):
    out = tmp_path / "figs"
    assert main(["figures", fig.id, "--tiny", "--no-progress", "--results-dir", str(tmp_path / "results"),
                 "--out", str(out)]) == 0
    rec = json.loads((out / f"{fig.stem}.json").read_text())
    assert (out / rec["png"]).stat().st_size > 5000
    assert rec["tiny"] is True and rec["claims"], "a figure must check at least one claim"
    assert rec["layout_problems"] == [], "no text may leave the figure or overlap other text"
    for c in rec["claims"]:
        assert c["text"] and c["measured"] and isinstance(c["passed"], bool)
    gallery = (out / "README.md").read_text()
    assert fig.title in gallery and "tiny" in gallery
    # a second call reuses the finished sweeps and only redraws
    assert main(["figures", fig.id, "--tiny", "--no-train", "--results-dir", str(tmp_path / "results"),
                 "--out", str(out)]) == 0


def test_figure_ids_are_unique_two_digit_and_selectable():
    assert FIGURES, "no figure modules found"
    for f in FIGURES:
        assert len(f.id) == 2 and f.id.isdigit()
        assert select(FIGURES, [str(int(f.id))]) == [f]
        assert select(FIGURES, [f.name]) == [f]
    with pytest.raises(KeyError):
        select(FIGURES, ["no-such-figure"])


def test_unknown_figure_and_missing_runs_are_one_line_errors(tmp_path, capsys):
    assert main(["figures", "no-such-figure"]) == 2
    assert "unknown figure" in capsys.readouterr().err
    assert main(["figures", FIGURES[0].id, "--tiny", "--no-train", "--results-dir", str(tmp_path)]) == 2
    assert "not finished" in capsys.readouterr().err


def test_list_names_every_figure(capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    for f in FIGURES:
        assert f.stem in out


def test_claim_between_fails_on_nan_and_out_of_range():
    assert claim_between("x", [0.4, 0.41], 0.38, 0.42).passed
    assert not claim_between("x", [0.4, 0.5], 0.38, 0.42).passed
    assert not claim_between("x", [float("nan")], 0.0, 1.0).passed
    assert not claim_between("x", [], 0.0, 1.0).passed


@pytest.mark.slow
@pytest.mark.parametrize("fig", FIGURES, ids=[f.stem for f in FIGURES])
def test_full_figure_reproduces_the_paper_claims(fig, tmp_path):
    """The full-size figure (minutes to hours on a CPU; `pytest -m slow`): every claim must hold."""
    from figures.run import run_figure

    rec = run_figure(fig, tiny=False, out=tmp_path, results_dir="results", progress=False)
    failing = [f"{c['text']}: measured {c['measured']}" for c in rec["claims"] if not c["passed"]]
    assert not failing, "; ".join(failing)
