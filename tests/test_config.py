"""Config validation, JSON round trip and hashing."""

import dataclasses
import json
import math

import pytest

from toymodels.config import (ConfigError, DataConfig, GridConfig, ModelConfig, SweepConfig, TrainConfig,
                              config_hash, from_dict, to_dict, validate)
from experiments import all_presets


@pytest.mark.parametrize("name", sorted(all_presets()))
def test_every_preset_round_trips_through_json(name):
    cfg = all_presets()[name].config
    validate(cfg)
    back = from_dict(SweepConfig, json.loads(json.dumps(to_dict(cfg))))
    assert back == cfg
    assert config_hash(back) == config_hash(cfg)


def test_hash_ignores_bookkeeping_fields_but_not_science():
    cfg = SweepConfig()
    assert config_hash(dataclasses.replace(cfg, results_dir="elsewhere", chunk_size=7, progress=False)) == config_hash(cfg)
    assert config_hash(dataclasses.replace(cfg, train=TrainConfig(steps=11))) != config_hash(cfg)
    assert config_hash(dataclasses.replace(cfg, grid=GridConfig(density=(0.5,)))) != config_hash(cfg)


def test_unknown_json_field_is_an_error():
    d = to_dict(SweepConfig())
    d["model"]["n_neurons"] = 3
    with pytest.raises(ConfigError, match="n_neurons"):
        from_dict(SweepConfig, d)


BAD = [
    (dict(model=ModelConfig(n_features=0)), "model.n_features"),
    (dict(model=ModelConfig(n_hidden=0)), "model.n_hidden"),
    (dict(data=DataConfig(density=0.0)), "data.density"),
    (dict(data=DataConfig(density=1.5)), "data.density"),
    (dict(grid=GridConfig(density=(0.5, 0.0))), "grid.density[1]"),
    (dict(grid=GridConfig(density=(math.nan,))), "grid.density[0]"),
    (dict(data=DataConfig(importance_decay=-0.5)), "data.importance_decay"),
    (dict(data=DataConfig(importance="explicit", importance_values=(1.0, math.inf, 1, 1, 1))), "data.importance_values[1]"),
    (dict(grid=GridConfig(relative_importance=(1.0, -2.0))), "grid.relative_importance[1]"),
    (dict(train=TrainConfig(steps=0)), "train.steps"),
    (dict(train=TrainConfig(batch_size=0)), "train.batch_size"),
    (dict(grid=GridConfig(n_seeds=0)), "grid.n_seeds"),
    (dict(train=TrainConfig(full_batch=True)), "train.full_batch"),
]


@pytest.mark.parametrize("overrides,field", BAD, ids=[f for _, f in BAD])
def test_bad_values_name_their_field(overrides, field):
    with pytest.raises(ConfigError) as e:
        validate(dataclasses.replace(SweepConfig(), **overrides))
    assert e.value.field == field
    assert "must be" in str(e.value)
