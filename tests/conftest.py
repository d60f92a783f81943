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

# the fuzz suite (tests/*/test_fuzz_*.py): hypothesis with a fixed seed, so CI tries the same inputs every run;
# HYPOTHESIS_PROFILE=deep tries ten times as many
from hypothesis import HealthCheck, settings  # noqa: E402

FUZZ_EXAMPLES = 200  # per property in CI; the README states the total
settings.register_profile("ci", max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("deep", parent=settings.get_profile("ci"), max_examples=10 * FUZZ_EXAMPLES)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
