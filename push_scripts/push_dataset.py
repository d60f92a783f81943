"""Publishes a built ``lira-products`` folder as a Hub dataset repo: Parquet shards + README, in one commit.

Steps: validate the folder against ``dataset_builder/schema.py`` (see ``push_scripts/dataset_check.py``),
re-render the dataset card with ``dataset_builder.card.make_card`` for the target repo id (so its
``load_dataset(...)`` snippet names the real repo), check the card's ``configs`` against the shards, stage, then
upload as one commit (``repo_type="dataset"``; files an earlier version left that this one no longer has are deleted
in it, and ``--dry-run`` lists them), optionally tagged. ``lira_build.json`` stays local: its content is
in the card. The token comes from ``hf auth login`` or ``HF_TOKEN``; it is never an argument and never printed.

Usage::

    python -m push_scripts.push_dataset --dataset-dir artifacts/lira-products --repo-id org/lira-products --dry-run
    python -m push_scripts.push_dataset --dataset-dir artifacts/lira-products --repo-id org/lira-products
"""

import argparse
import os
import shutil
import sys
import tempfile

from push_scripts.dataset_check import check_card_configs, validate_dataset_folder
from push_scripts.hub_upload import UploadError, exit_status, local_only, plan_folder, publish_plans
from push_scripts.stage_model import stage_folder

_LICENSE_KEYS = ("license", "license_name", "license_link")


def render_dataset_card(dataset_dir, stats, repo_id):
    """The builder's card for ``repo_id``, keeping the licence fields of the card written at build time."""
    from dataset_builder.card import make_card
    from huggingface_hub import DatasetCard

    built = DatasetCard.load(os.path.join(dataset_dir, "README.md")).data.to_dict()
    license_kwargs = {k: built[k] for k in _LICENSE_KEYS if built.get(k)}
    if license_kwargs.get("license") != "other":
        license_kwargs = {"license": license_kwargs.get("license", "unknown")}
    return make_card(stats, repo_id=repo_id, **license_kwargs)


def push_dataset(dataset_dir, repo_id, *, private=False, dry_run=False, revision_tag=None, commit_message=None,
                 staging_dir=None, api=None, log=print):
    """Validates, stages and (unless ``dry_run``) uploads a built dataset folder. See the module docstring.

    Args:
        dataset_dir (`str`): folder written by ``python -m dataset_builder build``.
        repo_id (`str`): ``"org/name"`` of the dataset repo.
        private (`bool`, *optional*): create the repo private.
        dry_run (`bool`, *optional*): print the plan (files, sizes, commit message) and send nothing.
        revision_tag (`str`, *optional*): tag for the commit (e.g. ``"v0.1.0"``).
        commit_message (`str`, *optional*): first commit line; defaults to one naming the languages.
        staging_dir (`str`, *optional*): where to stage (kept); defaults to a temporary folder (removed).
        api (`huggingface_hub.HfApi`, *optional*): client for the upload (tests pass one with a mock transport).
        log (`callable`, *optional*, defaults to `print`): progress output.

    Returns:
        `dict`: ``{"plan": UploadPlan, "commits": [CommitInfo]}``.
    """
    own_staging = staging_dir is None
    staging_dir = staging_dir or tempfile.mkdtemp(prefix="lira-push-data-")
    try:
        with local_only():
            shards, stats = validate_dataset_folder(dataset_dir)
            card = render_dataset_card(dataset_dir, stats, repo_id)
            check_card_configs(card, shards)
            log(f"validated {len(shards)} shards against dataset_builder/schema.py")
            staged = stage_folder(dataset_dir, shards, os.path.join(staging_dir, repo_id.split("/")[-1]), str(card))
            message = commit_message or (f"Upload {stats.get('pretty_name', 'dataset')} "
                                         f"({' '.join(stats['languages'])} + corpus)")
            plan = plan_folder(staged, repo_id, "dataset", message, private=private, tag=revision_tag,
                               commit_description=f"Built with seed {stats.get('seed')} by dataset_builder.")
        return {"plan": plan, "commits": publish_plans([plan], dry_run, api, log)}
    finally:
        if own_staging:
            shutil.rmtree(staging_dir, ignore_errors=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Publish a built lira-products folder to the Hub (one commit).")
    p.add_argument("--dataset-dir", required=True, help="folder written by `python -m dataset_builder build`")
    p.add_argument("--repo-id", required=True, help="ORG/NAME of the dataset repo")
    p.add_argument("--private", action="store_true", help="create the repo private")
    p.add_argument("--dry-run", action="store_true",
                   help="print files, sizes, commit message and the files a re-publish deletes; send nothing")
    p.add_argument("--revision-tag", help="tag for the commit (e.g. v0.1.0)")
    p.add_argument("--commit-message", help="first line of the commit")
    p.add_argument("--staging-dir", help="keep the staged folder here (default: a temporary folder)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return exit_status(lambda: push_dataset(args.dataset_dir, args.repo_id, private=args.private,
                                            dry_run=args.dry_run, revision_tag=args.revision_tag,
                                            commit_message=args.commit_message, staging_dir=args.staging_dir),
                       errors=(UploadError, ValueError))


if __name__ == "__main__":
    sys.exit(main())
