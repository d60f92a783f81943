"""Publishes a trained LiRA folder as two Hub model repos: the full model and its sentence-transformers export.

* ``ORG/NAME`` (``--repo-id``): weights (safetensors), ``config.json`` with ``auto_map``, the flat
  ``modeling_lira`` code files, the processor with both tokenizers, the model card and ``EVALUATION.md`` (the long
  tables the card links to). Custom code.
* ``ORG/NAME-st`` (``--st-repo-id``): the anchored low-resource-language path as a stock sentence-transformers model
  (backbone + Pooling (the config's ``encoder_pooling``) + Dense + Normalize; prompts ``query`` / ``document``, the
  default ``query``), with its own card. A separate repo rather than a subfolder: the
  Hub's widget and Inference Providers never run custom code and read ``pipeline_tag``/``library_name`` per repo,
  so the export needs a repo whose metadata says ``sentence-transformers`` while the full model says
  ``transformers`` + ``inference: false``. With ``--onnx`` it also holds ``onnx/model.onnx`` and
  ``onnx/model_qint8_avx512_vnni.onnx`` (``push_scripts.export_onnx``: CPU serving through onnxruntime or
  sentence-transformers' ONNX backend), published beside the weights.

Steps: stage both folders, render both cards, reload the staged model in a fresh process with
``trust_remote_code=True`` (and the export without it) and compare outputs, then upload each repo as one commit
(deleting the files an earlier version left that this one no longer has; ``--dry-run`` lists them) and tag it.
The token comes from ``hf auth login`` or ``HF_TOKEN``; it is never an argument and never printed.

Usage::

    python -m push_scripts.push_model --model-dir artifacts/lira-small-trained --repo-id org/lira --dry-run
    python -m push_scripts.push_model --model-dir artifacts/lira-small-trained --repo-id org/lira \\
        --eval-json runs/eval/results.json --revision-tag v0.1.0 --onnx
"""

import argparse
import os
import shutil
import sys
import tempfile

from lira_utils.atomic import MARKER
from push_scripts.hub_upload import exit_status, local_only, plan_folder, publish_plans
from push_scripts.stage_model import check_model_files, check_st_modules, collect_model_files, stage_folder


def _default_export(model_dir, out_dir):
    from push_scripts.export_sentence_transformers import export_sentence_transformers

    return export_sentence_transformers(model_dir, out_dir)


def _probe_texts():
    from model_card.widget import load_widget_examples

    examples = load_widget_examples()
    return [e["source_sentence"] for e in examples] + examples[0]["sentences"]


def push_model(model_dir, repo_id, *, st_repo_id=None, revision_tag="v0.1.0", private=False, dry_run=False,
               eval_json=None, eval_system=None, training_args_json=None, dataset_card=None, dataset_id=None,
               commit_message=None, license="apache-2.0", staging_dir=None, with_st=True, verify=True,
               export_fn=None, api=None, comparison_md=None, anchoring_md=None, zero_shot_md=None,
               onnx=False, log=print):
    """Stages, verifies and (unless ``dry_run``) uploads a LiRA folder. See the module docstring.

    Args:
        model_dir (`str`): folder written by ``LiraModel.save_pretrained`` + the processor's ``save_pretrained``.
        repo_id (`str`): ``"org/name"`` of the full model.
        st_repo_id (`str`, *optional*, defaults to ``f"{repo_id}-st"``): repo of the sentence-transformers export.
        revision_tag (`str`, *optional*, defaults to ``"v0.1.0"``): tag put on both commits and pinned in the cards.
        private (`bool`, *optional*): create the repos private.
        dry_run (`bool`, *optional*): print the plans (files, sizes, commit messages) and send nothing.
        eval_json, eval_system, training_args_json, dataset_card, dataset_id, comparison_md, anchoring_md,
            zero_shot_md: card inputs (see `model_card.build_model_card`).
        commit_message (`str`, *optional*, defaults to ``f"Upload LiRA {revision_tag}"``): first commit line.
        license (`str`, *optional*, defaults to ``"apache-2.0"``): Hub license id of both cards.
        staging_dir (`str`, *optional*): where to stage (kept); defaults to a temporary folder (removed).
        with_st (`bool`, *optional*, defaults to `True`): also export and push the sentence-transformers repo.
        verify (`bool`, *optional*, defaults to `True`): run the fresh-process reload check.
        export_fn (`callable`, *optional*): ``export_fn(model_dir, out_dir)`` writing the sentence-transformers
            folder; defaults to ``push_scripts.export_sentence_transformers.export_sentence_transformers``.
        api (`huggingface_hub.HfApi`, *optional*): client for the upload (tests pass one with a mock transport).
        onnx (`bool`, *optional*, defaults to `False`): add the ONNX fp32 and int8 files to the sentence-transformers
            repo (`push_scripts.export_onnx`; needs ``pip install -e ".[onnx]"``).
        log (`callable`, *optional*, defaults to `print`): progress output.

    Returns:
        `dict`: ``{"plans": [...], "verification": dict or None, "commits": [CommitInfo, ...]}``.
    """
    st_repo_id = st_repo_id or f"{repo_id}-st"
    if onnx and not with_st:
        raise ValueError("--onnx adds the ONNX files to the sentence-transformers repo; drop --no-st (or --onnx).")
    files, skipped = collect_model_files(model_dir)
    check_model_files(model_dir, files)
    if skipped:
        log(f"not uploaded (not part of a Hub model folder): {', '.join(skipped)}")
    own_staging = staging_dir is None
    staging_dir = staging_dir or tempfile.mkdtemp(prefix="lira-push-")
    try:
        with local_only():
            plans, verification = _stage_and_verify(
                model_dir, files, staging_dir, repo_id, st_repo_id, revision_tag, private, eval_json, eval_system,
                training_args_json, dataset_card, dataset_id, commit_message, license, with_st, verify, export_fn,
                log, comparison_md=comparison_md, anchoring_md=anchoring_md, zero_shot_md=zero_shot_md, onnx=onnx)
        return {"plans": plans, "verification": verification, "commits": publish_plans(plans, dry_run, api, log)}
    finally:
        if own_staging:
            shutil.rmtree(staging_dir, ignore_errors=True)


def _stage_and_verify(model_dir, files, staging_dir, repo_id, st_repo_id, revision_tag, private, eval_json,
                      eval_system, training_args_json, dataset_card, dataset_id, commit_message, license, with_st,
                      verify, export_fn, log, comparison_md=None, anchoring_md=None, zero_shot_md=None, onnx=False):
    """The local part of [`push_model`]: export, cards, staging, fresh-process check. Returns (plans, report)."""
    from model_card import build_model_card, build_st_model_card

    staged_model = os.path.join(staging_dir, repo_id.split("/")[1])
    staged_st = None
    if with_st:
        export_dir = os.path.join(staging_dir, "_st_export")
        (export_fn or _default_export)(model_dir, export_dir)
        check_st_modules(export_dir, allow_custom=False)
        if onnx:
            from push_scripts.export_onnx import export_onnx

            export_onnx(export_dir, log=log)
        # README.md is rendered below; LiRA's markers (the onnx/ folder has one too) are never uploaded
        st_files = [f for f in collect_all(export_dir) if f != "README.md" and f.rsplit("/", 1)[-1] != MARKER]
        st_card = build_st_model_card(export_dir, repo_id=st_repo_id, revision=revision_tag, full_repo_id=repo_id,
                                      dataset_id=dataset_id, license=license, query_normalizer=os.path.isfile(
                                          os.path.join(model_dir, "query_normalizer.json")))
        staged_st = stage_folder(export_dir, st_files, os.path.join(staging_dir, st_repo_id.split("/")[1]),
                                 str(st_card))
        shutil.rmtree(export_dir, ignore_errors=True)
    card = build_model_card(model_dir, eval_json, training_args_json, dataset_card, repo_id=repo_id,
                            revision=revision_tag, st_repo_id=st_repo_id, dataset_id=dataset_id,
                            eval_system=eval_system, st_dir=staged_st, license=license, comparison_md=comparison_md,
                            anchoring_md=anchoring_md, zero_shot_md=zero_shot_md)
    stage_folder(model_dir, files, staged_model, str(card))
    card.save_pages(staged_model)  # EVALUATION.md, the long tables the card links to, uploaded beside README.md
    verification = None
    if verify:
        from push_scripts.verify_staged import verify_staged

        verification = verify_staged(model_dir, staged_model, _probe_texts(), st_dir=staged_st)
        log(f"fresh-process reload check passed: max abs diff {verification['max_abs_diff']}"
            + (f", export vs anchored {verification['st_max_abs_diff']:.1e}"
               if verification["st_max_abs_diff"] is not None else ""))
    description = ("Staged folder reloaded in a fresh process with trust_remote_code=True; outputs match the "
                   f"source model (max abs diff {max(verification['max_abs_diff'].values()):.1e})."
                   if verification else "")
    plans = [plan_folder(staged_model, repo_id, "model", commit_message or f"Upload LiRA {revision_tag}",
                         private=private, tag=revision_tag, commit_description=description)]
    if staged_st:
        plans.append(plan_folder(staged_st, st_repo_id, "model", f"Upload LiRA sentence-transformers export "
                                 f"{revision_tag}", private=private, tag=revision_tag,
                                 commit_description=f"Widget-ready export of {repo_id} at {revision_tag}."))
    return plans, verification


def collect_all(folder):
    """Every file of ``folder`` as relative POSIX paths, sorted."""
    return sorted(os.path.relpath(os.path.join(r, n), folder).replace(os.sep, "/")
                  for r, _, names in os.walk(folder) for n in names)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Publish a trained LiRA folder (and its widget export) to the Hub.")
    p.add_argument("--model-dir", required=True, help="folder written by LiraModel.save_pretrained")
    p.add_argument("--repo-id", required=True, help="ORG/NAME of the full model")
    p.add_argument("--st-repo-id", help="ORG/NAME of the sentence-transformers export (default: REPO_ID-st)")
    p.add_argument("--no-st", action="store_true", help="do not export/push the sentence-transformers repo")
    p.add_argument("--onnx", action="store_true", help="add onnx/model.onnx and its int8 quantization to the "
                                                       "sentence-transformers repo (extra: onnx)")
    p.add_argument("--revision-tag", default="v0.1.0", help="tag for both commits, pinned in the cards")
    p.add_argument("--private", action="store_true", help="create the repos private")
    p.add_argument("--dry-run", action="store_true",
                   help="print files, sizes, commit messages and the files a re-publish deletes; send nothing")
    p.add_argument("--eval-json", help="results.json written by evaluation/")
    p.add_argument("--eval-system", help="which system of --eval-json is this model")
    p.add_argument("--comparison-md",
                   help="`python -m evaluation.compare` output over several seeds (on EVALUATION.md)")
    p.add_argument("--anchoring-md", help="`python -m studies.label_budget --report` output (report.md): where "
                                          "anchoring pays, on EVALUATION.md")
    p.add_argument("--zero-shot-md", help="`python -m evaluation.compare` output on the zero-shot languages")
    p.add_argument("--training-args-json", help="JSON of the training arguments (shown in the card)")
    p.add_argument("--dataset-card", help="README.md (or folder) of the built dataset")
    p.add_argument("--dataset-id", help="ORG/NAME of the dataset repo (default: ORG/lira-products)")
    p.add_argument("--commit-message", help="first line of the model commit")
    p.add_argument("--license", default="apache-2.0", help="Hub license id for both cards")
    p.add_argument("--staging-dir", help="keep the staged folders here (default: a temporary folder)")
    p.add_argument("--no-verify", action="store_true", help="skip the fresh-process reload check (not advised)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    return exit_status(lambda: push_model(
        args.model_dir, args.repo_id, st_repo_id=args.st_repo_id, revision_tag=args.revision_tag,
        private=args.private, dry_run=args.dry_run, eval_json=args.eval_json, eval_system=args.eval_system,
        training_args_json=args.training_args_json, dataset_card=args.dataset_card, dataset_id=args.dataset_id,
        commit_message=args.commit_message, license=args.license, comparison_md=args.comparison_md,
        anchoring_md=args.anchoring_md, zero_shot_md=args.zero_shot_md, onnx=args.onnx,
        staging_dir=args.staging_dir, with_st=not args.no_st, verify=not args.no_verify))


if __name__ == "__main__":
    sys.exit(main())
