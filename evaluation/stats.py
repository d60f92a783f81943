"""Paired bootstrap confidence intervals for the difference between two systems scored on the same queries.

Both systems' per-query scores (e.g. nDCG@10, from `score_system`'s `per_query`) are resampled with the *same*
query indices, so the interval reflects how much the delta depends on which queries happened to be in the test set.
`macro_paired_bootstrap` resamples within each language independently (stratified) and reports the unweighted
mean over languages, the statistic of the macro-average rows. `mean_over_seeds` averages the per-query scores of
several training runs (seeds) of one system before bootstrapping.
"""

import numpy as np

# per-query fields that identify a query rather than score it (see `evaluation.evaluator.score_system`)
ID_FIELDS = ("query_id", "clean_query_id", "noise")


def _paired_arrays(a, b, what="scores"):
    """Float arrays of `a` and `b`, checked to be non-empty and of equal length."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"{what}: expected two flat lists of per-query scores, got shapes {a.shape} and {b.shape}.")
    if len(a) != len(b):
        raise ValueError(f"{what}: paired scores need the same queries, got {len(a)} scores for the first system "
                         f"and {len(b)} for the second; score both systems on the same query rows.")
    if len(a) == 0:
        raise ValueError(f"{what}: no per-query scores (0 queries); nothing to bootstrap.")
    return a, b


def _check_options(num_samples, confidence):
    if int(num_samples) < 1:
        raise ValueError(f"num_samples={num_samples} must be at least 1 (2000 is a good default).")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence={confidence} must lie strictly between 0 and 1, e.g. 0.95.")


def _resampled_means(diff, num_samples, rng):
    """Mean of `diff` over `num_samples` bootstrap resamples of its queries.

    Args:
        diff (`np.ndarray` of shape `(n,)`): per-query deltas.
        num_samples (`int`): number of resamples.
        rng (`np.random.Generator`): source of the resampling indices.

    Returns:
        `np.ndarray` of shape `(num_samples,)`.
    """
    idx = rng.integers(0, len(diff), size=(num_samples, len(diff)))  # (num_samples, n)
    return diff[idx].mean(axis=1)  # (num_samples,)


def _interval(delta, means, confidence):
    """`{"delta", "low", "high"}`: the observed delta and the percentile interval of the resampled `means`."""
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return {"delta": float(delta), "low": float(low), "high": float(high)}


def paired_bootstrap(a, b, num_samples=2000, seed=0, confidence=0.95):
    """Paired bootstrap interval of the mean per-query improvement of system `b` over system `a`.

    Args:
        a (`list[float]`): per-query scores of the reference system.
        b (`list[float]`): per-query scores of the compared system on the same queries, in the same order.
        num_samples (`int`, *optional*, defaults to 2000): number of bootstrap resamples.
        seed (`int`, *optional*, defaults to 0): seed of the resampling (the result is deterministic given it).
        confidence (`float`, *optional*, defaults to 0.95): coverage of the percentile interval.

    Returns:
        `dict`: `delta` (mean of `b - a`), `low` and `high` (percentile interval of the resampled mean deltas).

    Raises:
        `ValueError`: when `a` and `b` are empty or differ in length.
    """
    _check_options(num_samples, confidence)
    a, b = _paired_arrays(a, b)
    diff = b - a  # (n,)
    means = _resampled_means(diff, int(num_samples), np.random.default_rng(seed))
    return _interval(diff.mean(), means, confidence)


def macro_paired_bootstrap(per_language_a, per_language_b, num_samples=2000, seed=0, confidence=0.95):
    """Stratified paired bootstrap of the macro (unweighted over languages) mean improvement of `b` over `a`.

    Queries are resampled within each language independently, so every resample keeps each language's query
    count; the statistic is the unweighted mean over languages of the per-language mean delta.

    Args:
        per_language_a (`dict[str, list[float]]`): language -> per-query scores of the reference system.
        per_language_b (`dict[str, list[float]]`): language -> per-query scores of the compared system on the same
            queries, in the same order.
        num_samples (`int`, *optional*, defaults to 2000): number of bootstrap resamples.
        seed (`int`, *optional*, defaults to 0): seed of the resampling (the result is deterministic given it).
        confidence (`float`, *optional*, defaults to 0.95): coverage of the percentile intervals.

    Returns:
        `dict`: `delta`, `low`, `high` for the macro average, and `per_language`: language -> {`delta`, `low`,
        `high`} (from the same resamples).

    Raises:
        `ValueError`: when the two dicts have different languages, no languages, or a language's lists differ in
        length or are empty.
    """
    _check_options(num_samples, confidence)
    if set(per_language_a) != set(per_language_b):
        raise ValueError(f"macro bootstrap needs the same languages for both systems, got {sorted(per_language_a)} "
                         f"and {sorted(per_language_b)}; restrict both to the shared languages.")
    if not per_language_a:
        raise ValueError("macro bootstrap got no languages; pass language -> per-query scores for each system.")
    rng = np.random.default_rng(seed)
    langs = sorted(per_language_a)  # fixed order: the same seed draws the same indices for the same language
    deltas, means = [], []
    for lang in langs:
        a, b = _paired_arrays(per_language_a[lang], per_language_b[lang], what=f"language {lang!r}")
        diff = b - a  # (n_lang,)
        deltas.append(diff.mean())
        means.append(_resampled_means(diff, int(num_samples), rng))  # (num_samples,)
    means = np.stack(means)  # (num_languages, num_samples)
    out = _interval(np.mean(deltas), means.mean(axis=0), confidence)
    out["per_language"] = {lang: _interval(d, m, confidence) for lang, d, m in zip(langs, deltas, means)}
    return out


def macro_bootstrap(per_language, num_samples=2000, seed=0, confidence=0.95):
    """Stratified bootstrap interval of one system's macro mean and of each language's mean: the system's
    improvement over zero in [`macro_paired_bootstrap`] (the same resamples for the same seed).

    Args:
        per_language (`dict[str, list[float]]`): language -> per-query scores.
        num_samples (`int`, *optional*, defaults to 2000), seed (`int`, *optional*, defaults to 0),
        confidence (`float`, *optional*, defaults to 0.95): as in [`macro_paired_bootstrap`].

    Returns:
        `dict`: `delta` (the macro mean), `low`, `high` and `per_language`, as [`macro_paired_bootstrap`].
    """
    zeros = {lang: [0.0] * len(scores) for lang, scores in per_language.items()}
    return macro_paired_bootstrap(zeros, per_language, num_samples, seed, confidence)


def _first_mismatch(ids, ref):
    if len(ids) != len(ref):
        return f"{len(ids)} queries instead of {len(ref)}"
    pos = next(i for i, (x, y) in enumerate(zip(ids, ref)) if x != y)
    return f"query {pos} is {ids[pos]!r} instead of {ref[pos]!r}"


def check_same_queries(ids, ref, what="run"):
    """Raises `ValueError` unless the query id lists `ids` and `ref` are identical (same queries, same order)."""
    if list(ids) != list(ref):
        raise ValueError(f"{what} was scored on other queries than the reference "
                         f"({_first_mismatch(list(ids), list(ref))}); evaluate every run on the same split with the "
                         "same --max-queries.")


def mean_over_seeds(runs, metrics=None):
    """Element-wise mean of per-query scores over several runs (seeds) of one system on the same queries.

    Args:
        runs (`list[dict]`): per-query dicts as in `score_system`'s `per_query` (`query_id` plus one list of
            scores per metric, e.g. `ndcg@10`), one per run.
        metrics (`list[str]`, *optional*): metrics to average; by default every key but `query_id`,
            `clean_query_id` and `noise`.

    Returns:
        `dict`: the first run's id fields with each metric replaced by the per-query mean over runs.

    Raises:
        `ValueError`: when there are no runs, the runs were scored on different query ids, or a metric is missing or
        has the wrong length.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("mean_over_seeds got no runs; pass one per-query dict per seed.")
    ref = list(runs[0]["query_id"])
    metrics = [k for k in runs[0] if k not in ID_FIELDS] if metrics is None else list(metrics)
    out = {k: list(v) for k, v in runs[0].items() if k in ID_FIELDS}
    for i, run in enumerate(runs):
        check_same_queries(run["query_id"], ref, what=f"run {i}")
    for m in metrics:
        missing = [i for i, run in enumerate(runs) if m not in run]
        if missing:
            raise ValueError(f"metric {m!r} is missing from run(s) {missing}; pass metrics= with shared metrics only.")
        bad = [(i, len(run[m])) for i, run in enumerate(runs) if len(run[m]) != len(ref)]
        if bad:
            raise ValueError(f"metric {m!r}: run {bad[0][0]} has {bad[0][1]} scores for {len(ref)} query ids; "
                             "per-query lists must align with `query_id`.")
        scores = np.asarray([run[m] for run in runs], dtype=np.float64)  # (num_runs, n)
        out[m] = scores.mean(axis=0).tolist()  # (n,)
    return out
