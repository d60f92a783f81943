"""The prepared GPU run: shrink, pack and shard LiRA for a borrowed GPU machine, train there, merge back here.

`python -m training.gpu prepare|remote|collect` (see `training.gpu.job`); `vocab_trim`, `weight_pack` and `shards`
make the payload travel within the device tool's limits, `merge_adapter` folds a returned adapter into the model.
"""
