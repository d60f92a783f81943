"""The rooms import one another in one order (docs/layout.md): each room imports only rooms below it, so no arrow runs
back up and no circle can form; `modeling_lira/` (remote code) imports no other room at all."""

import os

import pytest

from tests import REPO_ROOT
from tests.source_imports import module_imports

LAYERS = ("lira_utils", "modeling_lira", "evaluation", "dataset_builder", "training", "studies", "model_card",
          "push_scripts", "benchmarks", "space")
"""Lowest first; the order docs/layout.md states."""


def imported_rooms(room):
    """`{(file, imported room)}` of every import of another room in `room`'s Python files (also imports inside
    functions, which run later but still depend on the room)."""
    return {(path, module.split(".")[0]) for path, module in module_imports(os.path.join(REPO_ROOT, room), REPO_ROOT)
            if module.split(".")[0] in LAYERS and module.split(".")[0] != room}


def test_every_room_of_the_repository_has_a_layer():
    rooms = {entry for entry in os.listdir(REPO_ROOT)
             if os.path.isfile(os.path.join(REPO_ROOT, entry, "__init__.py")) and entry != "tests"}
    assert rooms <= set(LAYERS), f"rooms without a layer: {sorted(rooms - set(LAYERS))}; add them to LAYERS and docs"


@pytest.mark.parametrize("room", LAYERS)
def test_a_room_imports_only_rooms_below_it(room):
    below = set(LAYERS[: LAYERS.index(room)]) - ({"lira_utils", "evaluation"} if room == "modeling_lira" else set())
    upward = sorted((path, top) for path, top in imported_rooms(room) if top not in below)
    assert not upward, f"{room} imports rooms that are not below it: {upward}"


def test_the_check_sees_an_import_inside_a_function(tmp_path, monkeypatch):
    """The walker reads imports anywhere in a file (the lazy ones in functions too), so the layer test can fail."""
    import tests.utils.test_import_layers as layers

    (tmp_path / "evaluation").mkdir()
    (tmp_path / "evaluation" / "x.py").write_text("def f():\n    from training.train import run\n", encoding="utf-8")
    monkeypatch.setattr(layers, "REPO_ROOT", str(tmp_path))
    assert imported_rooms("evaluation") == {(os.path.join("evaluation", "x.py"), "training")}
