"""toymodels: a JAX simulator for Toy Models of Superposition (Elhage et al. 2022).

Shape letters used in names throughout the package (``W_HxF``, ``x_BxF``, ...):

    I  models in a flattened grid chunk (instances)
    S  seeds
    B  batch
    F  features (n)
    H  hidden dimensions / neurons (m)
    L  SAE latents (dictionary size)
    D  SAE input dimension
    G  ground-truth features
    T  logged steps (snapshots) or dataset size, as the docstring says

The main model (paper section 2) is the ReLU-output autoencoder
``x' = ReLU(W^T W x + b)`` with ``W_HxF`` of shape (n_hidden, n_features).
"""

__version__ = "0.1.0"


def _prefer_wide_vectors() -> None:
    """On an AVX-512 CPU, let XLA emit 512-bit vector loops (its default prefers 256 bits).

    The tiny models' training steps are elementwise loops (the sampler's integer hash, the
    unrolled n·m multiply-adds, the ReLU masks), and on the 2-core AVX-512 Xeon of
    docs/benchmarks.md this flag cut their CPU time per model-step by about a third (n=5, m=2,
    1,000 models: 39.6 -> 26.1 us of CPU time, same run, load ~12). It only takes effect if set
    before JAX creates its CPU backend, hence here; a flag of the same name already in XLA_FLAGS
    wins, and TOYMODELS_XLA_DEFAULTS=0 turns this off."""
    import os

    flags = os.environ.get("XLA_FLAGS", "")
    if os.environ.get("TOYMODELS_XLA_DEFAULTS", "1") == "0" or "xla_cpu_prefer_vector_width" in flags:
        return
    try:
        with open("/proc/cpuinfo") as f:
            has_avx512 = any(ln.startswith("flags") and " avx512f" in ln for ln in f)
    except OSError:
        return
    if has_avx512:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_prefer_vector_width=512").strip()


_prefer_wide_vectors()
