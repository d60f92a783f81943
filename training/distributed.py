"""In-batch negatives across DDP ranks: gather every rank's embeddings, keep the gradient on the local slice.

Under `torchrun` / `accelerate launch` each rank sees B of the global W x B batch. Without this module the
retrieval and consistency losses would contrast a query with the B local products only, so W devices would train
with a W-times smaller negative pool than one device holding the same global batch.

The recipe (as OpenCLIP's `gather_with_grad=False`): every rank gathers the detached embeddings of all ranks,
puts its own (grad-carrying) slice back in place, and computes the loss of the *global* batch. Every rank then
holds the same loss value, but its backward reaches only its own slice, so the sum of the ranks' gradients is the
gradient of the global loss. DDP averages gradients over ranks, hence `scale_for_average` multiplies the
gradient (not the value) by W: the update equals one process training on the W x B batch.
"""

import gc

import torch
import torch.distributed as dist
import torch.nn.functional as F


def world_size():
    """Number of processes in the default group (1 when `torch.distributed` is not initialised)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def finish_distributed():
    """Ends a `torchrun` / `accelerate launch` run cleanly: waits for every rank, then destroys the process group.

    Without it each rank tears gloo down while its peers may still be writing (rank 0 saves the model), and a rank
    can abort at exit ("terminate called without an active exception", SIGABRT), failing the whole launch after a
    successful training. Call it after the function that trained has returned, so the Trainer and its DDP wrapper
    are gone first (`gc.collect()` here clears their reference cycles): a DDP reducer destroyed after its process
    group can hang. A no-op in a single process.
    """
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


def _same_sizes(tensor, dim):
    """All ranks' sizes of `tensor` along `dim` `(W,)`."""
    size = torch.tensor([tensor.shape[dim]], device=tensor.device)
    sizes = [torch.zeros_like(size) for _ in range(world_size())]
    dist.all_gather(sizes, size)
    return torch.cat(sizes)


def gather_with_local_grad(tensor):
    """Concatenates `tensor` `(B, ...)` of every rank in rank order `(W * B, ...)`.

    The local slice keeps its autograd graph; the other ranks' slices are constants. Every rank must pass the
    same B (the planned batches of `training.data.plan_batches` all have B rows).

    Args:
        tensor (`torch.Tensor` of shape `(B, ...)`).
    """
    world = world_size()
    if world == 1:
        return tensor
    sizes = _same_sizes(tensor, 0)
    if not bool((sizes == sizes[0]).all()):
        raise ValueError(f"cross-rank negatives need the same batch size on every rank, got {sizes.tolist()}; "
                         f"train on planned batches (LiraQueryDataset(rows, plan)) or keep "
                         f"dataloader_drop_last=True.")
    parts = [torch.empty_like(tensor) for _ in range(world)]
    dist.all_gather(parts, tensor.detach().contiguous())
    parts[dist.get_rank()] = tensor
    return torch.cat(parts)


def gather_padded(tensor, value):
    """Like `gather_with_local_grad` for label tensors `(B, R)` whose width R differs between ranks: each rank's
    tensor is right-padded with `value` to the widest R first. No gradient.

    Args:
        tensor (`torch.Tensor` of shape `(B, R)`).
        value (`float`): the padding (e.g. -1 for product keys, 0 for grades).
    """
    if world_size() == 1:
        return tensor
    width = int(_same_sizes(tensor, 1).max())
    padded = F.pad(tensor, (0, width - tensor.shape[1]), value=value)
    return gather_with_local_grad(padded.detach())


def scale_for_average(loss, world=None):
    """`loss` with its value unchanged and its gradient multiplied by the world size W.

    For a loss computed on the gathered global batch: DDP's gradient averaging then yields the gradient of that
    loss, as one process on the global batch would, while the logged value stays the global loss.

    Args:
        loss (`torch.Tensor`): a scalar.
        world (`int`, *optional*): defaults to `world_size()`.
    """
    world = world_size() if world is None else world
    if world == 1:
        return loss
    return loss * world - loss.detach() * (world - 1)
