"""Training LiRA with `transformers.Trainer`: stage 1 (Arca) and stage 2 (LaSR), PEFT LoRA, local metrics."""

from .collator import LiraRetrievalCollator
from .data import load_corpus_rows, load_query_rows

__all__ = ["LiraRetrievalCollator", "load_corpus_rows", "load_query_rows"]
