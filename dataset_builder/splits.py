"""Product-disjoint train / validation / test splits, seeded and deterministic.

Products are shuffled with `random.Random(seed)` in their given order; the last `test` fraction becomes test, the
`validation` fraction before it validation, the rest train. With the CLDR selection, seed 13 and a 0.2 test
fraction this is the baseline's cut (479 non-test / 120 test products) with 60 validation products taken from
the non-test part. A query goes to:

* test (validation) when *all* its relevant products are test (validation) products;
* train when at least one relevant product is a train product; its relevant ids are then restricted to the train
  products, so a train query never points at a held-out product;
* nowhere (dropped, counted) when its relevant products mix validation and test products only.

So no product is shared between train queries and test queries, and no test query has a train product among its
relevant ids (generic category queries like "food" therefore never reach the test split).
"""

import math
import random

from .schema import PRODUCT_SPLITS
from lira_utils.defaults import SEED

DEFAULT_FRACTIONS = {"train": 0.7, "validation": 0.1, "test": 0.2}


def check_fractions(fractions):
    """Validates `{"train": f, "validation": f, "test": f}` (non-negative, summing to 1)."""
    fractions = dict(DEFAULT_FRACTIONS if fractions is None else fractions)
    if set(fractions) != set(PRODUCT_SPLITS):
        raise ValueError(f"split fractions need exactly the keys {list(PRODUCT_SPLITS)}, got {sorted(fractions)}.")
    for name, f in fractions.items():
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f) or f < 0:
            raise ValueError(f"split fraction {name}={f!r} must be a finite number >= 0 (--split-fractions TRAIN VAL "
                             f"TEST, e.g. 0.7 0.1 0.2), got {fractions}.")
    if abs(sum(fractions.values()) - 1.0) > 1e-6:
        raise ValueError(f"split fractions must sum to 1, got {fractions} (sum {sum(fractions.values()):g}); e.g. "
                         "--split-fractions 0.7 0.1 0.2.")
    return fractions


def split_products(products, seed=SEED, fractions=None):
    """Assigns every product to a split.

    Args:
        products (`list[LiraProduct]`): products in a deterministic order; a non-`None` `product.split` is kept.
        seed (`int`, *optional*, defaults to 13): shuffle seed.
        fractions (`dict[str, float]`, *optional*, defaults to 0.7 / 0.1 / 0.2): split sizes of the products that
            have no pinned split.

    Returns:
        `dict[str, str]`: product id -> `train`, `validation` or `test`.
    """
    fractions = check_fractions(fractions)
    free = [p.product_id for p in products if not p.split]
    random.Random(seed).shuffle(free)
    n = len(free)
    n_test = round(n * fractions["test"])
    n_val = round(n * fractions["validation"])
    n_train = n - n_test - n_val
    out = {p.product_id: p.split for p in products if p.split}
    for i, pid in enumerate(free):
        out[pid] = "train" if i < n_train else "validation" if i < n_train + n_val else "test"
    return out


def assign_query(relevant, product_split):
    """Split of one query and its relevant ids restricted accordingly.

    Args:
        relevant (`dict[str, int]`): product id -> grade (ordered).
        product_split (`dict[str, str]`): product id -> split.

    Returns:
        `tuple[str | None, dict[str, int]]`: the split (`None` when dropped) and the relevant ids kept.
    """
    splits = {product_split[pid] for pid in relevant}
    if "train" in splits:
        return "train", {pid: g for pid, g in relevant.items() if product_split[pid] == "train"}
    if len(splits) == 1:
        return splits.pop(), dict(relevant)
    return None, {}
