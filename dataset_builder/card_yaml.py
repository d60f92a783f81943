"""The `dataset_info` entries of the dataset card's YAML, built from public `datasets` API only.

Each entry is what the Hub and `datasets.load_dataset` read back as a config's features and split sizes: `features`
in the card's YAML form (`- name: query, dtype: string`, `list: string`, `struct: [...]`), derived from the public
`Features.to_dict()`, and `splits` with `name`, `num_bytes`, `num_examples`. The result goes into
`huggingface_hub.DatasetCardData(dataset_info=[...])`. It renders the same YAML as `datasets`' own (private) card
writer did for LiRA's schema, and `load_dataset_builder(folder, config).info.features` reads back exactly
`dataset_builder.schema`'s `Features` (tests/publishing/test_push_dataset.py checks both).

Example::

    >>> from dataset_builder.schema import CORPUS_FEATURES
    >>> dataset_info_entry("corpus", CORPUS_FEATURES, {"corpus": 599})["features"][2]
    {'name': 'keywords_en', 'list': 'string'}
"""

_LIST_TYPES = {"List": "list", "LargeList": "large_list", "Sequence": "sequence"}


def _feature_yaml(node, where):
    """One feature of `Features.to_dict()` (a `{"_type": ...}` dict, or a plain dict for a struct) in YAML form."""
    if not isinstance(node, dict):
        raise ValueError(f"feature {where!r} is {type(node).__name__} in Features.to_dict(); expected a dict.")
    kind = node.get("_type")
    if kind == "Value":
        return {"dtype": node["dtype"]}
    if kind in _LIST_TYPES:
        inner = _feature_yaml(node["feature"], f"{where}[]")
        if set(inner) == {"dtype"} and isinstance(inner["dtype"], str):
            inner = inner["dtype"]  # list: string
        elif set(inner) == {"struct"}:
            inner = inner["struct"]  # list: [- name: ...]
        out = {_LIST_TYPES[kind]: inner}
        if node.get("length", -1) != -1:
            out["length"] = node["length"]
        return out
    if kind is None:  # a struct: field name -> feature
        return {"struct": [{"name": name, **_feature_yaml(sub, f"{where}.{name}")} for name, sub in node.items()]}
    raise ValueError(f"feature {where!r} has type {kind!r}, which the dataset card's YAML writer does not handle; "
                     "use Value, List, LargeList or a struct (dict) in dataset_builder/schema.py, or extend "
                     "dataset_builder/card_yaml.py.")


def features_yaml(features):
    """`features` (a `datasets.Features`) as the card's YAML list: one `{"name": ..., <type>}` per column."""
    return [{"name": name, **_feature_yaml(node, name)} for name, node in features.to_dict().items()]


def dataset_info_entry(config, features, split_rows):
    """One `dataset_info` entry: `config_name`, `features` ([`features_yaml`]) and `splits` (row counts).

    Args:
        config (`str`): the config name (`default`, a language code, `corpus`).
        features (`datasets.Features`): the config's schema.
        split_rows (`dict[str, int]`): split name -> number of rows, in display order.

    Returns:
        `dict`
    """
    splits = [{"name": name, "num_bytes": 0, "num_examples": rows} for name, rows in split_rows.items()]
    return {"config_name": config, "features": features_yaml(features), "splits": splits}
