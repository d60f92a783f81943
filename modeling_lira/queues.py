"""FIFO memory queues of LaSR (CorrQueue, DocQueue): fixed capacity, detached, never part of the weights.

The queues are plain Python objects (not `nn.Module` buffers), so they never enter `state_dict()` or
`model.safetensors`: checkpoints stay small and a reloaded model starts with empty queues. `state_dict()` /
`load_state_dict()` on the queue itself exist for the rare case where a training run wants to keep them.
"""

import torch


class _LiraFifo:
    """Ring buffer of rows of fixed width; oldest rows are overwritten first."""

    def __init__(self, capacity, width, dtype=torch.float32):
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"queue capacity must be a positive int, got {capacity!r}.")
        self.capacity = capacity
        self.width = width
        self.dtype = dtype
        self._data = None  # (capacity, width), allocated on the first push (takes that push's device)
        self._ptr = 0
        self._size = 0

    def __len__(self):
        return self._size

    def reset(self):
        self._data, self._ptr, self._size = None, 0, 0

    def _push(self, rows):
        rows = rows.detach().to(self.dtype)  # (n, width)
        if rows.ndim != 2 or rows.shape[1] != self.width:
            raise ValueError(f"queue expects rows of shape (n, {self.width}), got {tuple(rows.shape)}.")
        if self._data is None or self._data.device != rows.device:
            self._data = torch.zeros(self.capacity, self.width, dtype=self.dtype, device=rows.device)
            self._ptr, self._size = 0, 0
        rows = rows[-self.capacity :]
        n = rows.shape[0]
        idx = (self._ptr + torch.arange(n, device=rows.device)) % self.capacity
        self._data[idx] = rows
        self._ptr = (self._ptr + n) % self.capacity
        self._size = min(self._size + n, self.capacity)

    def _rows(self):
        """Stored rows, oldest first: `(len, width)`."""
        if self._data is None:
            return torch.zeros(0, self.width, dtype=self.dtype)
        if self._size < self.capacity:
            return self._data[: self._size]
        return torch.cat([self._data[self._ptr :], self._data[: self._ptr]])

    def state_dict(self):
        return {"rows": self._rows().cpu()}

    def load_state_dict(self, state):
        self.reset()
        if len(state["rows"]):
            self._push(state["rows"])


class LiraDocQueue(_LiraFifo):
    """Queue of past document embeddings with their integer document keys (extra negatives for retrieval).

    Args:
        capacity (`int`): maximum number of stored documents.
        dim (`int`): embedding width.
    """

    def __init__(self, capacity, dim):
        super().__init__(capacity, dim + 1)
        self.dim = dim

    def push(self, embeddings, doc_keys):
        """Adds `embeddings` `(n, dim)` with `doc_keys` `(n,)` (any int id; equal ids mark the same document)."""
        rows = torch.cat([embeddings.detach().float(), doc_keys.detach().float().unsqueeze(-1)], dim=-1)
        self._push(rows)

    def get(self):
        """Returns `(embeddings (len, dim), doc_keys (len,))`, oldest first."""
        rows = self._rows()
        return rows[:, : self.dim], rows[:, self.dim].long()


class LiraCorrQueue(_LiraFifo):
    """Queue of past (predicted similarity, target similarity) pairs for the correlation objective.

    Args:
        capacity (`int`): maximum number of stored pairs.
    """

    def __init__(self, capacity):
        super().__init__(capacity, 2)

    def push(self, predictions, targets):
        """Adds `predictions` `(n,)` and `targets` `(n,)`."""
        self._push(torch.stack([predictions.detach().float(), targets.detach().float()], dim=-1))

    def get(self):
        """Returns `(predictions (len,), targets (len,))`, oldest first."""
        rows = self._rows()
        return rows[:, 0], rows[:, 1]
