"""Shared upload logic of the push scripts: plan a folder, print it (``--dry-run``), or send it as one Hub commit.

The remote only changes in the last step. :class:`HubPublisher` works in three phases:

1. :meth:`HubPublisher.prepare`: check the login (``huggingface_hub.get_token()``: ``hf auth login`` or
   ``HF_TOKEN``; there is no token argument anywhere), create the repo if needed, refuse a tag that already exists
   or ``--private`` on an existing public repo, then pre-upload every file one by one. Large files go to LFS/Xet
   storage, which no branch references until a commit does, so a failure here leaves the repo's history untouched
   and :class:`UploadError` names the file.
   It also lists the repo's files at that head (``HfApi.list_repo_files``): every file the new version no longer
   has, ``.gitattributes`` aside, becomes a ``CommitOperationDelete`` (a re-publish leaves no stale file behind).
2. :meth:`HubPublisher.commit`: one ``create_commit`` with every ``CommitOperationAdd`` and ``CommitOperationDelete``
   (atomic on the Hub; its ``parent_commit`` is the head seen in phase 1, so a concurrent push makes it fail instead
   of interleaving).
3. :meth:`HubPublisher.tag`: tag the new commit, so cards can pin ``revision=<tag>``.

Example::

    >>> plan = plan_folder("staging/", "org/lira", "model", "Upload LiRA v0.1.0", tag="v0.1.0")  # upload_plan.py
    >>> print(format_plan(with_remote_deletions(plan)))  # what --dry-run prints: files + what a re-publish deletes
    >>> publisher = HubPublisher()
    >>> info = publisher.commit(plan, publisher.prepare(plan)); publisher.tag(plan, info)
"""

import contextlib
import sys

from push_scripts.upload_plan import (UploadFile, UploadPlan, _human, _not_found_errors, format_plan, plan_folder,
                                      redact, stale_files, with_remote_deletions)

SPACE_SDK = "gradio"  # the SDK a new Space is created with (the README front matter must agree)


class UploadError(RuntimeError):
    """An upload step failed before anything was committed; ``path`` is the file at fault (``None``: no file)."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path


def exit_status(publish, errors=(UploadError, ValueError, RuntimeError)):
    """Runs a push script's work and turns a failure into its command-line exit status: one ``error: ...`` line on
    stderr and status 1, instead of a traceback.

    Args:
        publish (`Callable[[], Any]`): the work, called without arguments (e.g. a ``lambda`` around ``push_model``).
        errors (`tuple[type[Exception], ...]`, *optional*, defaults to `(UploadError, ValueError, RuntimeError)`):
            the exceptions reported this way; any other one propagates.

    Returns:
        `int`: 0 when `publish` returned, 1 when it raised one of `errors`.
    """
    try:
        publish()
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def publish_plans(plans, dry_run, api=None, log=print):
    """Prints every plan (`format_plan`), then sends them in order, unless `dry_run`.

    Args:
        plans (`list[UploadPlan]`): what to upload, one commit each.
        dry_run (`bool`): print only; nothing is sent to the Hub. The one request is a read of each repo's file list
            ([`with_remote_deletions`]), so the plan shows the files a re-publish deletes; none offline.
        api (`huggingface_hub.HfApi`, *optional*), log (`Callable`, *optional*): see [`HubPublisher`].

    Returns:
        `list`: the commits (empty on a dry run).
    """
    for plan in plans:
        if dry_run:
            with_remote_deletions(plan, api)
        log(format_plan(plan))
    if dry_run:
        log("dry run: nothing was sent to the Hub.")
        return []
    return HubPublisher(api=api, log=log).publish(*plans)


@contextlib.contextmanager
def local_only():
    """Blocks every request of ``huggingface_hub``'s client (its offline switch) while staging, rendering, exporting
    and verifying, so those steps and ``--dry-run`` cannot touch the network, even indirectly (e.g. a library
    looking up base-model metadata while saving a folder)."""
    from huggingface_hub import constants

    previous = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = previous


class HubPublisher:
    """Sends :class:`UploadPlan`\\ s through one ``huggingface_hub.HfApi`` client (see the module docstring).

    Args:
        api (`huggingface_hub.HfApi`, *optional*): client to use; defaults to ``HfApi()``, which takes the token
            from ``HF_TOKEN`` or the ``hf auth login`` cache and the endpoint from ``HF_ENDPOINT``.
        log (`callable`, *optional*, defaults to `print`): where progress lines go (they never hold the token).
    """

    def __init__(self, api=None, log=print):
        from huggingface_hub import HfApi

        self.api = api or HfApi()
        self._log = log
        self._parent = {}

    def _token(self):
        from huggingface_hub import get_token

        return self.api.token or get_token()

    def log(self, message):
        self._log(redact(message, self._token()))

    def _fail(self, message, exc, path=None):
        raise UploadError(redact(f"{message}: {type(exc).__name__}: {exc}", self._token()), path) from None

    def whoami(self):
        """Checks the login before anything is sent; returns the user name."""
        from huggingface_hub import constants

        if constants.HF_HUB_OFFLINE:
            raise UploadError("HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, so huggingface_hub sends nothing; "
                              "unset it to upload, or use --dry-run.")
        if not self._token():
            raise UploadError("no Hugging Face token found; run `hf auth login` or set the HF_TOKEN environment "
                              "variable (the push scripts take no token argument).")
        try:
            return self.api.whoami()["name"]
        except Exception as exc:
            self._fail("the Hub rejected the login (check `hf auth whoami`)", exc)

    def _existing_tags(self, plan):
        try:
            refs = self.api.list_repo_refs(plan.repo_id, repo_type=plan.repo_type)
        except Exception as exc:
            self._fail(f"cannot list the refs of {plan.repo_id}", exc)
        return {t.name for t in refs.tags}

    def prepare(self, plan):
        """Phase 1: repo, pre-flight checks, the repo's current files and per-file pre-upload. Returns the commit
        operations: one ``CommitOperationAdd`` per file of the plan, one ``CommitOperationDelete`` per file of the
        repo that the plan does not have (``plan.deletions``; ``.gitattributes`` is kept).

        Raises:
            `UploadError`: with ``.path`` set to the file whose pre-upload failed; nothing has been committed.
        """
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        extra = {"space_sdk": SPACE_SDK} if plan.repo_type == "space" else {}
        try:
            url = self.api.create_repo(plan.repo_id, repo_type=plan.repo_type, private=plan.private, exist_ok=True,
                                       **extra)
            info = self.api.repo_info(plan.repo_id, repo_type=plan.repo_type)
        except Exception as exc:
            self._fail(f"cannot create or read {plan.repo_type} repo {plan.repo_id}", exc)
        self.log(f"repo ready: {url}")
        if plan.private and not getattr(info, "private", False):
            raise UploadError(f"{plan.repo_id} already exists and is public; --private only applies when the repo "
                              "is created. Make it private in its settings first, or drop --private.")
        self._parent[plan.repo_id] = getattr(info, "sha", None)
        if plan.tag and plan.tag in self._existing_tags(plan):
            raise UploadError(f"tag {plan.tag!r} already exists on {plan.repo_id}; pass a new --revision-tag.")
        plan.deletions, plan.remote_note = stale_files(plan, self._remote_files(plan)), ""
        operations = []
        for i, f in enumerate(plan.files, 1):
            op = CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=f.local_path)
            try:
                self.api.preupload_lfs_files(plan.repo_id, additions=[op], repo_type=plan.repo_type,
                                             free_memory=False)
            except Exception as exc:
                self._fail(f"upload of {f.path_in_repo} ({f.local_path}) failed; nothing was committed",
                           exc, f.path_in_repo)
            self.log(f"  [{i}/{len(plan.files)}] {_human(f.size):>8}  {f.path_in_repo}")
            operations.append(op)
        for path in plan.deletions:
            self.log(f"  delete  {path} (not in this version)")
            operations.append(CommitOperationDelete(path_in_repo=path, is_folder=False))
        return operations

    def _remote_files(self, plan):
        """The repo's files at the head seen by [`prepare`] (none for a repo without a commit)."""
        try:
            return self.api.list_repo_files(plan.repo_id, repo_type=plan.repo_type,
                                            revision=self._parent.get(plan.repo_id))
        except _not_found_errors()[1]:  # a repo without any commit yet has no files to compare with
            return []
        except Exception as exc:
            self._fail(f"cannot list the files of {plan.repo_id} (needed to delete what this version drops); "
                       "nothing was committed", exc)

    def commit(self, plan, operations):
        """Phase 2: one commit with all operations. Returns ``huggingface_hub.CommitInfo``.

        Raises:
            `UploadError`: the commit was refused (the Hub applies all of it or none of it).
        """
        try:
            info = self.api.create_commit(
                plan.repo_id, operations, commit_message=plan.commit_message,
                commit_description=plan.commit_description, repo_type=plan.repo_type,
                parent_commit=self._parent.get(plan.repo_id),
            )
        except Exception as exc:
            path = "README.md" if "README.md" in str(exc) else None
            self._fail(f"commit to {plan.repo_id} failed; the Hub applied none of it", exc, path)
        self.log(f"committed {info.oid}: {info.commit_url}")
        return info

    def tag(self, plan, commit_info):
        """Phase 3: tag the commit with ``plan.tag`` (no-op without a tag)."""
        if not plan.tag:
            return
        try:
            self.api.create_tag(plan.repo_id, tag=plan.tag, revision=commit_info.oid, repo_type=plan.repo_type,
                                tag_message=plan.commit_message)
        except Exception as exc:
            self._fail(f"commit {commit_info.oid} is on {plan.repo_id} but tagging it {plan.tag!r} failed; "
                       f"tag it with `hf repos tag create {plan.repo_id} {plan.tag} --revision {commit_info.oid} "
                       f"--repo-type {plan.repo_type}`",
                       exc)
        self.log(f"tagged {plan.tag} -> {commit_info.oid}")

    def publish(self, *plans):
        """Runs phase 1 for every plan, then phases 2 and 3, so one repo's failed pre-upload commits nothing."""
        user = self.whoami()
        self.log(f"logged in as {user}")
        prepared = [(plan, self.prepare(plan)) for plan in plans]
        infos = []
        for plan, operations in prepared:
            info = self.commit(plan, operations)
            self.tag(plan, info)
            infos.append(info)
        return infos


__all__ = ["HubPublisher", "UploadError", "UploadFile", "UploadPlan", "format_plan", "local_only", "plan_folder",
           "publish_plans", "redact", "with_remote_deletions"]
