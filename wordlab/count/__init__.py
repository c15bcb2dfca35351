"""Count-based word vectors at scale: sparse co-occurrence → (S)PPMI → truncated SVD (DLfS-2 ch. 2, Levy et al. 2015).

    from wordlab.count import PPMISVD, PPMIConfig
    kv = PPMISVD(PPMIConfig(dim=300, window=5, min_count=5)).fit(read_corpus("text8.gz"))

The pieces are usable alone: :func:`cooccurrence` (ids → sparse symmetric counts), :func:`ppmi`
(counts → SPPMI), :func:`svd_vectors` (SPPMI → ``U Σ^p``); :mod:`wordlab.count.dense` holds the
dense DLfS-2 reference (``create_co_matrix``, ``ppmi_dense``, ``svd_dense``).
"""

from .cooccurrence import cooccurrence, offset_weights, subsample_ids
from .dense import create_co_matrix, ppmi_dense, svd_dense
from .model import PPMIConfig, PPMISVD
from .ppmi import ppmi
from .run import train_ppmi
from .svd import block_krylov_svd, randomized_svd, svd_vectors, truncated_svd

__all__ = ["cooccurrence", "offset_weights", "subsample_ids", "ppmi", "svd_vectors", "truncated_svd",
           "randomized_svd", "block_krylov_svd", "create_co_matrix", "ppmi_dense", "svd_dense", "PPMIConfig", "PPMISVD",
           "train_ppmi"]
