"""Word vectors users query and evaluate: :class:`KeyedVectors` and its file formats.

    from wordlab.vectors import KeyedVectors
    kv = KeyedVectors(keys, vectors)            # gensim names: vectors, index_to_key, key_to_index, ...
    kv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    kv.save("vectors.bin")                      # .bin word2vec binary, .txt/.vec text, .npz native
    kv = KeyedVectors.load("vectors.bin")
"""

from .formats import format_from_path, read_npz, read_word2vec, write_npz, write_word2vec
from .keyed import KeyedVectors
from .search import top_k, unit_rows
from .suggest import suggest

__all__ = ["KeyedVectors", "read_word2vec", "write_word2vec", "read_npz", "write_npz", "format_from_path",
           "suggest", "top_k", "unit_rows"]
