"""Device-dependent `TrainingArguments` fields, shared by LiRA's training and the plain fine-tune baseline."""

import torch


def device_settings(cuda=None, bf16_supported=None):
    """`TrainingArguments` fields that depend on the device: bf16 and fused AdamW on a GPU, plain AdamW on CPU.

    Args:
        cuda (`bool`, *optional*): whether a CUDA device is used; defaults to `torch.cuda.is_available()`.
        bf16_supported (`bool`, *optional*): defaults to `torch.cuda.is_bf16_supported()` on CUDA.
    """
    cuda = torch.cuda.is_available() if cuda is None else cuda
    if cuda and bf16_supported is None:
        bf16_supported = torch.cuda.is_bf16_supported()
    return dict(bf16=bool(cuda and bf16_supported), optim="adamw_torch_fused" if cuda else "adamw_torch",
                dataloader_pin_memory=cuda, use_cpu=not cuda)
