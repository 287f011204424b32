"""Rerun a stored run: ``toymodels sweep --config results/<run>/config.json [--overrides-file F]
[--flag overrides]``.

The stored config.json round-trips to the SweepConfig (toymodels.config.from_dict), so the rerun
has the same config hash, hence the same run directory ("already complete" when finished) and,
in a fresh results directory, bit-identical weights (every cell's PRNG key derives from its seed
and values). An overrides file (JSON, or YAML when PyYAML is installed) holds a nested mapping
like config.json's, ``{"train": {"steps": 2000}}``, or dotted keys, ``{"train.steps": 2000}``;
it is applied first, then the command-line flags.
"""

from __future__ import annotations

import json
from pathlib import Path

from toymodels.config import ConfigError, SweepConfig, from_dict, to_dict


def _usage_error(msg: str):
    from toymodels.cli import UsageError
    return UsageError(msg)


def _take(argv: list[str], option: str) -> tuple[str | None, list[str]]:
    rest, value, i = [], None, 0
    while i < len(argv):
        a = argv[i]
        if a == option:
            if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                raise _usage_error(f"{option} needs a file")
            value, i = argv[i + 1], i + 2
            continue
        if a.startswith(option + "="):
            value, i = a.split("=", 1)[1], i + 1
            continue
        rest.append(a)
        i += 1
    return value, rest


def read_overrides(path: str) -> dict:
    """A JSON or YAML mapping of overrides, dotted keys expanded into nested dicts."""
    p = Path(path)
    if not p.is_file():
        raise _usage_error(f"--overrides-file {path}: no such file")
    text = p.read_text()
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise _usage_error(f"--overrides-file {path}: reading YAML needs PyYAML (not installed); "
                               "write the overrides as JSON instead") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise _usage_error(f"--overrides-file {path}: not valid YAML ({str(e).splitlines()[0]})") from None
    else:
        try:
            data = json.loads(text)
        except ValueError as e:
            raise _usage_error(f"--overrides-file {path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise _usage_error(f"--overrides-file {path}: expected a mapping of config fields, got {type(data).__name__}")
    nested: dict = {}
    for key, value in data.items():
        parts = str(key).replace("-", "_").split(".")
        d = nested
        for part in parts[:-1]:
            d = d.setdefault(part, {})
        if isinstance(value, dict) and isinstance(d.get(parts[-1]), dict):
            _merge(d[parts[-1]], value)
        else:
            d[parts[-1]] = value
    return nested


def _merge(base: dict, over: dict, where: str = "") -> dict:
    for k, v in over.items():
        k = k.replace("-", "_")
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v, f"{where}{k}.")
        else:
            if k not in base:
                raise ConfigError(f"{where}{k}", v, f"one of the fields {sorted(base)}")
            base[k] = v
    return base


def load_stored_config(path: str) -> SweepConfig:
    p = Path(path)
    if p.is_dir():
        p = p / "config.json"
    if not p.is_file():
        raise _usage_error(f"--config {path}: no such file (pass a run's config.json or its run directory)")
    try:
        return from_dict(SweepConfig, json.loads(p.read_text()))
    except ValueError as e:
        raise _usage_error(f"--config {path}: not valid JSON ({e})") from None


def config_from_argv(argv: list[str]) -> tuple[SweepConfig, list[str], str]:
    """(config to pass to tyro as default, remaining flags, description) for ``sweep --config``."""
    config_path, rest = _take(argv, "--config")
    overrides_path, rest = _take(rest, "--overrides-file")
    if not config_path:
        raise _usage_error("--config needs a file: toymodels sweep --config results/<run>/config.json")
    cfg = load_stored_config(config_path)
    if overrides_path:
        cfg = from_dict(SweepConfig, _merge(to_dict(cfg), read_overrides(overrides_path)))
    return cfg, rest, f"Rerun of {config_path}" + (f" with overrides from {overrides_path}" if overrides_path else "")
