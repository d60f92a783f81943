"""LiRA: Linguistic Robust Anchoring for retrieval in low-resource languages (arXiv 2510.14466).

The files of this folder are uploaded beside the weights (Hub remote code); they import only the standard library,
torch, public transformers and each other. Importing the package also registers the classes with the Auto
classes, so `AutoModel.from_pretrained(folder)` works without `trust_remote_code` when this package is installed.
"""

from transformers import AutoConfig, AutoModel, AutoProcessor

from .configuration_lira import LiraConfig
from .modeling_lira import LiraModel, LiraModelOutput, LiraPreTrainedModel
from .processing_lira import LiraProcessor
from .query_normalizer import LiraQueryNormalizer

LiraConfig.register_for_auto_class()
LiraModel.register_for_auto_class("AutoModel")
LiraProcessor.register_for_auto_class("AutoProcessor")

try:
    AutoConfig.register("lira", LiraConfig)
    AutoModel.register(LiraConfig, LiraModel)
    AutoProcessor.register(LiraConfig, LiraProcessor)
except ValueError:  # already registered (e.g. module imported twice under two names)
    pass

__all__ = ["LiraConfig", "LiraModel", "LiraModelOutput", "LiraPreTrainedModel", "LiraProcessor", "LiraQueryNormalizer"]
