"""``toymodels sae PRESET [--overrides]`` and ``toymodels sae --list``.

Flags override any field of the preset's base SAESweepConfig (tyro), e.g.
``toymodels sae sharkey-tiny --train.steps 500 --grid.n-seeds 3 --results-dir out``. For studies
with several arms (one SAE variant each), --sae.* flags apply to every arm and each arm keeps its
own variant and coefficient grid. Bad values get one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys

USAGE = "usage: toymodels sae PRESET [--overrides]   |   toymodels sae --list"


def _fail(msg: str) -> int:
    print(f"toymodels sae: error: {msg}", file=sys.stderr)
    return 2


def list_presets() -> int:
    from toymodels.labels import format_preset_groups
    from toymodels.sae.studies import SAE_PRESETS

    entries = [(name, p.description, p.command, p.expected_runtime, p.expected_outcome)
               for name, p in SAE_PRESETS.items()]
    print(format_preset_groups([("SAEs against ground-truth features (docs/sae_recovery.md)", entries)]))
    return 0


def main(argv: list[str] | None = None) -> int:
    from toymodels.config import ConfigError

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE + "\n\n" + __doc__.split("\n\n")[1])
        return 0 if argv else 2
    if argv[0] == "--list":
        return list_presets()
    from toymodels.sae.studies import SAE_PRESETS
    name, rest = argv[0], argv[1:]
    if name.startswith("-"):
        return _fail(f"expected a PRESET before {name!r}; one of: {', '.join(SAE_PRESETS)}")
    if name not in SAE_PRESETS:
        return _fail(f"unknown SAE preset {name!r}; choose one of: {', '.join(SAE_PRESETS)}")
    study = SAE_PRESETS[name]
    try:
        import tyro

        from toymodels.sae.config import SAESweepConfig
        from toymodels.sae.studies import run_study
        base = tyro.cli(SAESweepConfig, default=study.base, args=rest, prog=f"toymodels sae {name}",
                        description=study.description)
        paths = run_study(study, base)
    except ConfigError as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        print("\ninterrupted: finished chunks are saved; run the same command again to resume", file=sys.stderr)
        return 130
    for p in paths:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
