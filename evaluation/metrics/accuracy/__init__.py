"""The `accuracy` metric module (`accuracy.py`), loaded by path with `evaluate.load`.

See `evaluation.metrics_loader`."""
