"""Top-k search of query vectors against a catalogue: exact numpy for small corpora, `datasets` + FAISS for large.

Vectors are L2-normalised, so inner product = cosine. Large catalogues go through
`datasets.Dataset.add_faiss_index` (faiss-cpu from PyPI), with an exact `Flat` index or any FAISS
`string_factory` (e.g. `"IVF1024,Flat"`, `"HNSW32"`).
"""

import numpy as np

FAISS_AUTO_THRESHOLD = 50_000


def exact_top_k(queries, docs, k, chunk=1024):
    """Exact top-k by inner product, in chunks of queries.

    Args:
        queries (`np.ndarray`): `(n_q, d)` float32.
        docs (`np.ndarray`): `(n_d, d)` float32.
        k (`int`): results per query (capped at `n_d`).
        chunk (`int`, *optional*): queries per matrix product.

    Returns:
        `(indices, scores)`, both `(n_q, k)`, best first; ties broken by lower document index.
    """
    k = min(k, len(docs))
    idx = np.zeros((len(queries), k), dtype=np.int64)
    val = np.zeros((len(queries), k), dtype=np.float32)
    for s in range(0, len(queries), chunk):
        sims = queries[s : s + chunk] @ docs.T
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < sims.shape[1] else np.tile(
            np.arange(sims.shape[1]), (len(sims), 1))
        part_scores = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        idx[s : s + chunk] = np.take_along_axis(part, order, axis=1)
        val[s : s + chunk] = np.take_along_axis(part_scores, order, axis=1)
    return idx, val


def faiss_catalogue(docs, string_factory="Flat", train_size=None, nprobe=None):
    """A `datasets.Dataset` holding `docs` in column `embeddings` with a FAISS inner-product index on it.

    Args:
        docs (`np.ndarray`): `(n_d, d)` float32 vectors.
        string_factory (`str`, *optional*, defaults to `"Flat"`): FAISS index description; `"Flat"` is exact.
        train_size (`int`, *optional*): vectors used to train IVF/PQ indexes (all by default).
        nprobe (`int`, *optional*): IVF lists visited per query; `efSearch` for HNSW.

    Returns:
        `datasets.Dataset` with the index named `"embeddings"`.
    """
    import datasets
    import faiss
    import pyarrow as pa

    docs = np.ascontiguousarray(docs, dtype=np.float32)
    arr = pa.FixedSizeListArray.from_arrays(pa.array(docs.reshape(-1)), docs.shape[1])
    ds = datasets.Dataset(pa.table({"row": np.arange(len(docs)), "embeddings": arr}))
    # `datasets` skips training when train_size is None, which IVF/PQ indexes need: train on every row by default
    ds.add_faiss_index(column="embeddings", string_factory=string_factory, metric_type=faiss.METRIC_INNER_PRODUCT,
                       train_size=train_size or len(docs))
    if nprobe is not None:
        index = ds.get_index("embeddings").faiss_index
        if "HNSW" in string_factory:
            faiss.downcast_index(index).hnsw.efSearch = nprobe
        else:
            faiss.extract_index_ivf(index).nprobe = nprobe
    return ds


def faiss_top_k(catalogue, queries, k):
    """Top-k through a catalogue built by `faiss_catalogue`; returns `(indices, scores)` like `exact_top_k`."""
    res = catalogue.search_batch("embeddings", np.ascontiguousarray(queries, dtype=np.float32), k=k)
    return np.asarray(res.total_indices, dtype=np.int64), np.asarray(res.total_scores, dtype=np.float32)


def top_k(queries, docs, k, index="auto"):
    """Top-k search, exact in numpy or through `datasets` + FAISS.

    Args:
        queries (`np.ndarray`): `(n_q, d)` query vectors.
        docs (`np.ndarray`): `(n_d, d)` document vectors.
        k (`int`): results per query.
        index (`str`, *optional*, defaults to `"auto"`): `"exact"` (numpy), `"auto"` (numpy below
            50,000 documents, a `datasets` FAISS `Flat` index above) or any FAISS string factory.

    Returns:
        `(indices, scores)`, both `(n_q, min(k, n_d))`, best first.
    """
    if index == "exact" or (index == "auto" and len(docs) < FAISS_AUTO_THRESHOLD):
        return exact_top_k(queries, docs, k)
    factory = "Flat" if index == "auto" else index
    return faiss_top_k(faiss_catalogue(docs, factory), queries, min(k, len(docs)))
