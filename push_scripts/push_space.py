"""Publishes the demo (`space/`) as a Hub Space (Gradio SDK) in one commit.

What is staged (the Space must run without this repository installed):

* `app.py`, `space_inputs.py`, `space_search.py`, `space_render.py`, `requirements.txt` from `space/`;
* `README.md`: `space/README.md` with its front matter's `models` / `datasets` set to the repos the Space reads
  (the Hub links them both ways) and `sdk_version` set to the installed Gradio;
* `space_config.json`: model id + pinned revision, dataset id, backbone id, fine-tune id (optional);
* the code the demo reuses, vendored: the whole `evaluation/` and `lira_utils/` packages and `dataset_builder/{critics,qe_critic,
  schema}.py` under a stub `dataset_builder/__init__.py` (the full builder needs the CLDR sources and more);
* `critic_lexicon.json`: the English vocabulary and affect words of the CLDR data, so typed candidates get the
  dataset's critic scores (skipped, with a note, when the CLDR npm packages are not installed).

Then (unless `--no-verify`) the staged folder is imported in a fresh process, from the staging folder, to prove it is
self-contained. The token comes from `hf auth login` or `HF_TOKEN`; it is never an argument and never printed.

Usage::

    python -m push_scripts.push_space --repo-id ORG/lira-demo --model-id ORG/lira --dataset-id ORG/lira-products \\
        --revision v0.1.0 --dry-run --staging-dir artifacts/hub
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from dataset_builder.critics import critic_lexicon
from lira_utils.atomic import atomic_write_json
from push_scripts.hub_upload import exit_status, local_only, plan_folder, publish_plans

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPACE_DIR = os.path.join(REPO, "space")
SPACE_FILES = ("app.py", "space_inputs.py", "space_search.py", "space_render.py", "requirements.txt")
VENDORED_PACKAGES = ("evaluation", "lira_utils")
BUILDER_FILES = ("critics.py", "qe_critic.py", "schema.py")
BUILDER_INIT = '"""The part of LiRA\'s dataset_builder the demo needs: the reference-free critic (vendored)."""\n'
DEFAULT_BACKBONE = "intfloat/multilingual-e5-small"


def render_space_card(model_id, dataset_id, backbone_id, finetune_id=None):
    """`space/README.md` with `models`, `datasets` and `sdk_version` set for this Space."""
    import gradio
    from huggingface_hub import SpaceCard

    card = SpaceCard.load(os.path.join(SPACE_DIR, "README.md"))
    card.data.models = [m for m in (model_id, backbone_id, finetune_id) if m]
    card.data.datasets = [dataset_id]
    card.data.sdk_version = gradio.__version__
    card.text = (card.text.replace("datasets/lira-org/lira-products", f"datasets/{dataset_id}")
                 .replace("huggingface.co/lira-org/lira)", f"huggingface.co/{model_id})"))
    for key in ("sdk", "app_file", "title"):
        if not card.data.get(key):
            raise ValueError(f"space/README.md front matter has no {key!r}; the Hub needs it to build the Space.")
    return str(card)


def stage_space(out_dir, settings, card, lexicon=None):
    """Writes the Space folder (see the module docstring) to `out_dir` through a temporary folder.

    Args:
        out_dir (`str`): the staged folder; new or empty (`push_scripts.stage_model.upload_folder` refuses any
            other folder and deletes nothing).
        settings (`dict`): `space_config.json` content.
        card (`str`): the rendered README.md.
        lexicon (`dict`, *optional*): `critic_lexicon.json` content.

    Returns:
        `str`: `out_dir`.
    """
    from push_scripts.stage_model import upload_folder

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    with upload_folder(out_dir, what="Space staging folder") as tmp:
        for name in SPACE_FILES:
            shutil.copy2(os.path.join(SPACE_DIR, name), os.path.join(tmp, name))
        with open(os.path.join(tmp, "README.md"), "w", encoding="utf-8") as f:
            f.write(card)
        atomic_write_json(os.path.join(tmp, "space_config.json"), settings)
        if lexicon:
            atomic_write_json(os.path.join(tmp, "critic_lexicon.json"), lexicon)
        for package in VENDORED_PACKAGES:
            shutil.copytree(os.path.join(REPO, package), os.path.join(tmp, package), ignore=ignore)
        builder = os.path.join(tmp, "dataset_builder")
        os.makedirs(builder)
        for name in BUILDER_FILES:
            shutil.copy2(os.path.join(REPO, "dataset_builder", name), os.path.join(builder, name))
        with open(os.path.join(builder, "__init__.py"), "w", encoding="utf-8") as f:
            f.write(BUILDER_INIT)
    return out_dir


def verify_staged_space(folder, timeout=300):
    """Imports the staged app in a fresh process run from `folder` and checks that every module it reuses comes from
    the staged copy, not from this repository. Returns the module -> file map."""
    code = ("import json, sys; import app, space_search, evaluation, lira_utils, dataset_builder.qe_critic as q; "
            "print(json.dumps({m: sys.modules[m].__file__ for m in "
            "['app', 'space_search', 'evaluation', 'lira_utils', 'dataset_builder', 'dataset_builder.qe_critic']}))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"the staged Space does not import in a fresh process:\n{proc.stderr[-2000:]}")
    files = json.loads(proc.stdout.strip().splitlines()[-1])
    outside = {m: f for m, f in files.items() if not os.path.realpath(f).startswith(os.path.realpath(folder))}
    if outside:
        raise RuntimeError(f"the staged Space imports {sorted(outside)} from outside the staged folder ({outside}); "
                           "add them to push_scripts/push_space.py's staged files.")
    return files


def _check_space_revision(revision):
    """The Space loads LiRA's remote code at `revision`: it must be given and be a valid Hub revision."""
    from evaluation.lira_system import check_revision

    if revision is None:
        raise ValueError("--revision is required: the Space runs LiRA's remote code (trust_remote_code=True) at that "
                         "revision; pass the tag or, better, the 40-hex commit sha you reviewed.")
    check_revision(revision, "--revision")


def push_space(repo_id, model_id, dataset_id, *, revision="v0.1.0", backbone_id=DEFAULT_BACKBONE, finetune_id=None,
               private=False, dry_run=False, commit_message=None, staging_dir=None, npm_dir=None, verify=True,
               api=None, log=print):
    """Stages, checks and (unless `dry_run`) uploads the demo Space. See the module docstring.

    Args:
        repo_id (`str`): `"org/name"` of the Space.
        model_id (`str`): Hub id of the LiRA model the Space loads.
        dataset_id (`str`): Hub id of `lira-products`.
        revision (`str`, *optional*, defaults to `"v0.1.0"`): LiRA revision (tag or commit) the Space pins (a 40-hex
            commit sha pins its remote code for good); required, checked by `evaluation.lira_system.check_revision`.
        backbone_id (`str`, *optional*): Hub id of the backbone shown beside LiRA.
        finetune_id (`str`, *optional*): Hub id of the plain fine-tune, if it is published.
        private (`bool`, *optional*): create the Space private.
        dry_run (`bool`, *optional*): print the plan and send nothing.
        commit_message (`str`, *optional*): first commit line.
        staging_dir (`str`, *optional*): where to stage (kept); defaults to a temporary folder (removed).
        npm_dir (`str`, *optional*): folder holding the CLDR `node_modules` (default `.cache/`).
        verify (`bool`, *optional*, defaults to `True`): import the staged Space in a fresh process.
        api (`huggingface_hub.HfApi`, *optional*): client for the upload (tests pass one with a mock transport).
        log (`callable`, *optional*, defaults to `print`): progress output.

    Returns:
        `dict`: `{"plan": UploadPlan, "folder": str, "commits": [CommitInfo]}`.
    """
    for name, value in [("repo_id", repo_id), ("model_id", model_id), ("dataset_id", dataset_id)]:
        if not isinstance(value, str) or value.count("/") != 1 or not all(value.split("/")):
            raise ValueError(f"{name} must look like 'org/name', got {value!r}.")
    _check_space_revision(revision)
    own_staging = staging_dir is None
    staging_dir = staging_dir or tempfile.mkdtemp(prefix="lira-push-space-")
    try:
        with local_only():
            settings = {"model": model_id, "revision": revision, "dataset": dataset_id, "backbone": backbone_id,
                        "finetune": finetune_id}
            card = render_space_card(model_id, dataset_id, backbone_id, finetune_id)
            lexicon = critic_lexicon(npm_dir)
            if lexicon is None:
                log("note: the CLDR npm packages are not installed; the Space's critic will know only the corpus "
                    "words (install them with scripts/install.sh for the dataset's exact critic).")
            folder = stage_space(os.path.join(staging_dir, repo_id.split("/")[1]), settings, card, lexicon)
            if verify:
                verify_staged_space(folder)
                log("fresh-process import check passed: the staged Space is self-contained")
            plan = plan_folder(folder, repo_id, "space", commit_message or f"Demo of {model_id} at {revision}",
                               private=private, commit_description=f"Loads {model_id}@{revision} and {dataset_id}.")
        return {"plan": plan, "folder": folder, "commits": publish_plans([plan], dry_run, api, log)}
    finally:
        if own_staging:
            shutil.rmtree(staging_dir, ignore_errors=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Publish the LiRA demo (space/) as a Gradio Space (one commit).")
    p.add_argument("--repo-id", required=True, help="ORG/NAME of the Space")
    p.add_argument("--model-id", default="lira-org/lira", help="Hub id of the LiRA model the Space loads")
    p.add_argument("--revision", default="v0.1.0",
                   help="LiRA revision (tag or commit) the Space pins; a 40-hex commit sha pins its remote code")
    p.add_argument("--dataset-id", default="lira-org/lira-products", help="Hub id of lira-products")
    p.add_argument("--backbone-id", default=DEFAULT_BACKBONE, help="Hub id of the backbone shown beside LiRA")
    p.add_argument("--finetune-id", help="Hub id of the plain fine-tune (only if it is published)")
    p.add_argument("--private", action="store_true", help="create the Space private")
    p.add_argument("--dry-run", action="store_true", help="print files, sizes and commit message; send nothing")
    p.add_argument("--commit-message", help="first line of the commit")
    p.add_argument("--staging-dir", help="keep the staged folder here (default: a temporary folder)")
    p.add_argument("--no-verify", action="store_true", help="skip the fresh-process import check")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return exit_status(lambda: push_space(
        args.repo_id, args.model_id, args.dataset_id, revision=args.revision, backbone_id=args.backbone_id,
        finetune_id=args.finetune_id, private=args.private, dry_run=args.dry_run,
        commit_message=args.commit_message, staging_dir=args.staging_dir, verify=not args.no_verify))


if __name__ == "__main__":
    sys.exit(main())
