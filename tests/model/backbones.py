"""Tiny backbones of several families, built in code (no download), for the backbone matrix tests.

Tokenizers are trained here with the `tokenizers` library on `TEXTS` (English, vi, th, bn, id, ur text) and wrapped
in `PreTrainedTokenizerFast`: a byte-level BPE (Qwen3's family), a Unigram (XLM-R's) and WordPiece (BERT's, MPNet's).
Model configs are tiny random `AutoConfig`s of the real model types (qwen3, xlm-roberta, mpnet, bert).
"""

import torch

from modeling_lira import LiraConfig, LiraModel, LiraProcessor
from tests.fixtures_training import TINY_PRODUCTS, TINY_QUERIES

QWEN_QUERY_PREFIX = "Instruct: find the product\nQuery: "
EXTRA_TEXTS = [
    "tai nghe bluetooth", "giày chạy bộ màu đỏ", "táo đỏ tươi", "ấm đun nước", "xe đạp thể thao", "điện thoại",
    "รองเท้าวิ่ง", "แอปเปิ้ลแดง", "กาน้ำชา", "จักรยาน", "โทรศัพท์มือถือ", "ร่มกันฝน",
    "হেডফোন", "লাল আপেল", "চায়ের কেটলি", "সাইকেল", "ফোন ক্যামেরা", "বই পড়া",
    "sepatu lari merah", "apel merah", "ketel teh", "sepeda", "کتاب", "سائیکل", "چائے کی کیتلی",
    "wireless earbuds", "blue running shoes", "green apple", "electric kettle", "mountain bicycle", "smart phone",
    "camera lens", "umbrella", "backpack for school", "kitchen knife", "tea pot", "passage", "query", "en",
]
TEXTS = sorted({t for _, t in TINY_PRODUCTS} | {q for q, _, _ in TINY_QUERIES} | set(EXTRA_TEXTS))
NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def _training_texts():
    """What the tokenizers learn from: the texts and the prefixes the processors add."""
    return TEXTS + [QWEN_QUERY_PREFIX, "query: ", "passage: ", "en: "]


def byte_bpe_tokenizer(vocab_size=400):
    """Qwen3-style byte-level BPE: special tokens added after the vocabulary, `<|endoftext|>` appended to every text
    (as Qwen3-Embedding's tokenizer does), padded on the left."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(_training_texts(), trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok.add_special_tokens(["<|endoftext|>", "<|pad|>"])
    eos = tok.token_to_id("<|endoftext|>")
    tok.post_processor = processors.TemplateProcessing(single="$A <|endoftext|>", special_tokens=[
        ("<|endoftext|>", eos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|pad|>",
                                   padding_side="left", model_max_length=128)


def unigram_tokenizer(vocab_size=200):
    """XLM-R-style Unigram (Metaspace), `<s> $A </s>`, pad id 1."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.train_from_iterator(_training_texts() * 3, trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], unk_token="<unk>",
        show_progress=False))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>",
                                   model_max_length=64)


def wordpiece_tokenizer(vocab_size=300, mpnet=False):
    """WordPiece: BERT's `[CLS] $A [SEP]` with pad id 0, or MPNet's `<s> $A </s>` with pad id 1."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "[UNK]", "<mask>"] if mpnet else ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(_training_texts(), trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=specials, show_progress=False))
    cls, sep = ("<s>", "</s>") if mpnet else ("[CLS]", "[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", special_tokens=[(cls, tok.token_to_id(cls)), (sep, tok.token_to_id(sep))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token=specials[1 if mpnet else 0],
                                   cls_token=cls, sep_token=sep, mask_token=specials[4], model_max_length=64)


def encoder_config(kind, tokenizer, hidden=32):
    """A tiny random config of model type `kind` ("qwen3", "xlm-roberta", "mpnet", "bert") for `tokenizer`."""
    vocab, pad = len(tokenizer), tokenizer.pad_token_id
    if kind == "qwen3":  # head_dim 8 x 4 heads != hidden 30: the width need not divide by the heads
        return dict(model_type="qwen3", vocab_size=vocab, hidden_size=30, intermediate_size=48, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=128,
                    pad_token_id=pad, eos_token_id=tokenizer.eos_token_id)
    base = dict(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=37, pad_token_id=pad, **NO_DROPOUT)
    if kind == "xlm-roberta":  # positions count from the pad id: padding_idx + 1 + max length
        return dict(base, model_type="xlm-roberta", max_position_embeddings=66 + pad, type_vocab_size=1)
    if kind == "mpnet":
        return dict(base, model_type="mpnet", max_position_embeddings=66 + pad)
    return dict(base, model_type="bert", max_position_embeddings=64)


# name: (g kind, g tokenizer, h kind, h tokenizer, LiraConfig arguments)
MATRIX = {
    "qwen3-last-token-left": ("qwen3", byte_bpe_tokenizer, "bert", wordpiece_tokenizer,
                              dict(encoder_pooling="last_token", encoder_padding_side="left",
                                   query_prefix=QWEN_QUERY_PREFIX, document_prefix="")),
    "xlmr-cls": ("xlm-roberta", unigram_tokenizer, "bert", wordpiece_tokenizer, dict(encoder_pooling="cls")),
    "mpnet-english-mean": ("bert", wordpiece_tokenizer, "mpnet", lambda: wordpiece_tokenizer(mpnet=True),
                           dict(english_pooling="mean", english_prefix="en: ")),
}


def build_case(name, seed=0):
    """`(model, processor)` of a matrix case: tiny random LiRA + a processor made with `LiraProcessor.from_config`."""
    g_kind, g_tok, h_kind, h_tok, extra = MATRIX[name]
    tokenizer, english_tokenizer = g_tok(), h_tok()
    g_config = encoder_config(g_kind, tokenizer)
    h_config = encoder_config(h_kind, english_tokenizer, hidden=48)  # h wider than g: the adaptor maps it
    width = g_config["hidden_size"]
    config = LiraConfig(encoder_config=g_config, english_encoder_config=h_config, adaptor_dim=width, num_bins=4,
                        num_candidates=3, lasr_num_heads=3 if width % 4 else 4, lasr_intermediate_size=48,
                        lasr_num_layers=1, lasr_dropout=0.0, doc_queue_size=16, corr_queue_size=16, **extra)
    torch.manual_seed(seed)
    model = LiraModel(config)
    processor = LiraProcessor.from_config(config, tokenizer, english_tokenizer, max_length=32,
                                          candidate_max_length=16)
    return model, processor
