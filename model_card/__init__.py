"""Model cards for the two LiRA Hub repos, rendered from data with ``huggingface_hub.ModelCard`` templates."""

from .build import build_model_card, build_st_model_card
from .constants import CITATION_BIBTEX
from .widget import load_widget_examples

__all__ = ["build_model_card", "build_st_model_card", "load_widget_examples", "CITATION_BIBTEX"]
