"""Training LiRA with `transformers.Trainer`: stage 1 (Arca) and stage 2 (LaSR), PEFT LoRA, local metrics."""
