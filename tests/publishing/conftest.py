"""The push area's fake Hub (`tests.fixtures_push.MockHub`) plus what re-publishing needs: each repo's files.

`mock_hub` here extends the shared fixture: the fake answers the file listing `HfApi.list_repo_files` reads
(`GET /api/<type>s/<repo>/tree/<revision>`), keeps each repo's files across commits (added, LFS and deleted), and
records the deletions of every commit in `commit["deleted"]`. `mock_hub.seed_files(repo_id, [...])` puts files in
a repo as if an earlier version had been published.
"""

import json

import pytest

from tests.fixtures_push import _httpx


@pytest.fixture
def mock_hub(mock_hub):
    original = mock_hub._repo_api
    mock_hub.files = {}  # "type:org/name" -> set of paths

    def seed_files(repo_id, paths, repo_type="model"):
        if f"{repo_type}:{repo_id}" not in mock_hub.repos:
            mock_hub.add_repo(repo_id, repo_type)
        mock_hub.files[f"{repo_type}:{repo_id}"] = set(paths)

    def repo_api(request, repo_type, repo_id, rest, body):
        key = f"{repo_type}:{repo_id}"
        if rest.startswith("/tree/"):
            if key not in mock_hub.repos:
                return _httpx().Response(404, headers={"X-Error-Code": "RepoNotFound"},
                                         json={"error": "Repository not found"})
            listing = [{"type": "file", "path": p, "size": 1, "oid": "0" * 40}
                       for p in sorted(mock_hub.files.get(key, ()))]
            return _httpx().Response(200, json=listing)
        deleted = []
        if rest.startswith("/commit/"):
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            deleted = [x["value"]["path"] for x in lines if x["key"] in ("deletedFile", "deletedFolder")]
        response = original(request, repo_type, repo_id, rest, body)
        if rest.startswith("/commit/") and response.status_code == 200:
            commit = mock_hub.commits[-1]
            commit["deleted"] = deleted
            files = mock_hub.files.setdefault(key, set())
            files.update(commit["files"], commit["lfs"])
            files.difference_update(deleted)
        return response

    mock_hub._repo_api = repo_api  # MockHub.handler looks it up on the instance at every request
    mock_hub.seed_files = seed_files
    return mock_hub
