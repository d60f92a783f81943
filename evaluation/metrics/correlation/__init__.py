"""The `correlation` metric module (`correlation.py`), loaded by path with `evaluate.load`.

See `evaluation.metrics_loader`."""
