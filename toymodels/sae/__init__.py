"""SAE recovery harness (issue 5): ground-truth sources, SAE variants, training and metrics."""

from toymodels.sae.metrics import format_table, score_dictionary, to_rows  # noqa: F401
from toymodels.sae.sources import Source, SourceConfig, make_source, sample, toy_model_config  # noqa: F401
from toymodels.sae.studies import SAE_PRESETS  # noqa: F401
