"""What one Hub commit will send, as LiRA's push scripts print it: the files of a staged folder with their sizes,
and (read from the Hub, never written) the files of the repo that the new version no longer has.

Example::

    >>> plan = plan_folder("staging/", "org/lira", "model", "Upload LiRA v0.1.0", tag="v0.1.0")
    >>> print(format_plan(plan))                          # the files; no network
    >>> print(format_plan(with_remote_deletions(plan)))   # + what a re-publish deletes (one read-only request)
"""

import os
from dataclasses import dataclass, field

from lira_utils.atomic import MARKER

REPO_TYPES = ("model", "dataset", "space")
KEPT_REMOTE_FILES = (".gitattributes",)  # never deleted by a re-publish (the Hub's LFS rules live there)


@dataclass
class UploadFile:
    """One file of a plan: where it goes in the repo, where it is on disk, its size in bytes."""

    path_in_repo: str
    local_path: str
    size: int


@dataclass
class UploadPlan:
    """Everything one commit will send (see [`plan_folder`])."""

    repo_id: str
    repo_type: str
    files: list = field(default_factory=list)
    commit_message: str = ""
    commit_description: str = ""
    private: bool = False
    tag: str = None
    deletions: list = None  # repo paths the new version drops; None: not compared with the Hub yet
    remote_note: str = ""  # why `deletions` is None or empty (no repo yet, offline, ...)

    @property
    def total_size(self):
        return sum(f.size for f in self.files)


def _human(size):
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024


def plan_folder(folder, repo_id, repo_type, commit_message, *, private=False, tag=None, commit_description=""):
    """Lists a staged folder as an :class:`UploadPlan`, checking every file locally first.

    Args:
        folder (`str`): the staged folder; every file in it but LiRA's marker (`lira_utils.atomic.MARKER`) is
            uploaded (sorted, POSIX paths).
        repo_id (`str`): ``"org/name"``.
        repo_type (`str`): ``"model"``, ``"dataset"`` or ``"space"``.
        commit_message (`str`): first line of the commit.
        private (`bool`, *optional*, defaults to `False`): create the repo private.
        tag (`str`, *optional*): tag to put on the commit (e.g. ``"v0.1.0"``).
        commit_description (`str`, *optional*): body of the commit message.

    Raises:
        `ValueError`: bad ``repo_id``/``repo_type``/message, an empty folder, no ``README.md``, or a file that
            cannot be read (the message names it).
    """
    if repo_type not in REPO_TYPES:
        raise ValueError(f"repo_type must be one of {REPO_TYPES}, got {repo_type!r}.")
    if not isinstance(repo_id, str) or repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ValueError(f"repo_id must look like 'org/name', got {repo_id!r}.")
    if not commit_message or "\n" in commit_message:
        raise ValueError(f"commit_message must be one non-empty line, got {commit_message!r}.")
    files = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            if name == MARKER and root == folder:  # LiRA's record that it wrote the folder, never uploaded
                continue
            local = os.path.join(root, name)
            rel = os.path.relpath(local, folder).replace(os.sep, "/")
            try:
                with open(local, "rb") as f:
                    f.read(1)
                size = os.path.getsize(local)
            except OSError as exc:
                raise ValueError(f"cannot read {local} ({exc}); fix its permissions or re-run the staging.") from exc
            files.append(UploadFile(rel, local, size))
    if not files:
        raise ValueError(f"{folder!r} is empty; nothing to upload.")
    files.sort(key=lambda f: f.path_in_repo)
    if "README.md" not in {f.path_in_repo for f in files}:
        raise ValueError(f"{folder!r} has no README.md; render the card before uploading.")
    return UploadPlan(repo_id, repo_type, files, commit_message, commit_description, private, tag)


def format_plan(plan):
    """The dry-run report: target repo, visibility, tag, commit message, then every file with its size."""
    width = max(len(str(f.size)) for f in plan.files)
    lines = [
        f"{plan.repo_type} repo: {plan.repo_id} ({'private' if plan.private else 'public'} if created)",
        f"tag: {plan.tag or '(none)'}",
        f"commit message: {plan.commit_message}",
        f"files: {len(plan.files)}, {plan.total_size} bytes ({_human(plan.total_size)})",
    ]
    lines += [f"  {f.size:>{width}}  {f.path_in_repo}" for f in plan.files]
    if plan.deletions:
        lines.append(f"deletions: {len(plan.deletions)} file(s) on the Hub that this version no longer has "
                     f"(kept: {', '.join(KEPT_REMOTE_FILES)})")
        lines += [f"  delete  {path}" for path in plan.deletions]
    elif plan.deletions is not None or plan.remote_note:
        lines.append(f"deletions: {'none' if plan.deletions is not None else 'not checked'}"
                     + (f" ({plan.remote_note})" if plan.remote_note else ""))
    return "\n".join(lines)


def stale_files(plan, remote_files):
    """The repo paths of ``remote_files`` that ``plan`` does not upload, sorted, never [`KEPT_REMOTE_FILES`]."""
    new = {f.path_in_repo for f in plan.files}
    return sorted(p for p in set(remote_files) if p not in new and p not in KEPT_REMOTE_FILES)


def _not_found_errors():
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    return RepositoryNotFoundError, RevisionNotFoundError


def with_remote_deletions(plan, api=None):
    """Fills ``plan.deletions`` from the repo's current files (``HfApi.list_repo_files``: one read-only request, no
    write), so that [`format_plan`] shows what a re-publish deletes. A repo that does not exist yet has nothing to
    delete; offline (``HF_HUB_OFFLINE``) or on an error the plan says "not checked" and why. Returns ``plan``."""
    from huggingface_hub import HfApi, constants

    if constants.HF_HUB_OFFLINE:
        plan.deletions, plan.remote_note = None, "HF_HUB_OFFLINE is set; the upload lists and deletes them"
        return plan
    api = api or HfApi()
    try:
        remote = api.list_repo_files(plan.repo_id, repo_type=plan.repo_type)
    except _not_found_errors():
        plan.deletions, plan.remote_note = [], f"{plan.repo_id} does not exist yet, or this login cannot see it"
        return plan
    except Exception as exc:  # a dry run reports what it could not check instead of failing
        token = api.token or _get_token()
        plan.deletions = None
        plan.remote_note = redact(f"cannot list {plan.repo_id}: {type(exc).__name__}: {exc}", token).splitlines()[0]
        return plan
    plan.deletions, plan.remote_note = stale_files(plan, remote), ""
    return plan


def _get_token():
    from huggingface_hub import get_token

    return get_token()


def redact(text, token):
    """``text`` with ``token`` replaced by ``hf_***`` (defence in depth: nothing here prints the token)."""
    return text.replace(token, "hf_***") if token else text
