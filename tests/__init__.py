"""LiRA's tests, one folder per room of the repository (`tests/model/`, `tests/dataset/`, ...); shared fixtures in
`tests/fixtures_*.py` and `tests/conftest.py`. `pytest -m "not slow"` is the inner loop."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
