"""The imports of the repository's Python files, read from their syntax trees (nothing is executed): shared by the
tests that check what the code may import (third-party packages declared, rooms in their order)."""

import ast
import os


def module_imports(top, repo, skip_dirs=()):
    """`[(path relative to repo, imported module)]` of every absolute import in the `.py` files under `top`, the
    imports inside functions too.

    Args:
        top (`str`): the folder to walk.
        repo (`str`): the folder the paths are relative to.
        skip_dirs (`Iterable[str]`, *optional*): folder names not entered (besides hidden ones).
    """
    skip_dirs, found = set(skip_dirs), []
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in skip_dirs and not d.startswith("."))
        for name in sorted(n for n in names if n.endswith(".py")):
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                found.extend((os.path.relpath(path, repo), module) for module in modules)
    return found
