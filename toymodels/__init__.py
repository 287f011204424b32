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
