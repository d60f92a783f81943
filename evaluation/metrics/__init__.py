"""Local `evaluate` metric modules, loaded by path with `evaluation.metrics_loader.load_metric` (offline)."""
