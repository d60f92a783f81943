"""The `retrieval` metric module (`retrieval.py`), loaded by path with `evaluate.load`.

See `evaluation.metrics_loader`."""
