"""Test configuration: every test runs offline; shared fixtures live in ``tests/fixtures_*.py``."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

pytest_plugins = [
    "tests.fixtures_data",
    "tests.fixtures_model",
    "tests.fixtures_eval",
    "tests.fixtures_push",
    "tests.fixtures_training",
]
