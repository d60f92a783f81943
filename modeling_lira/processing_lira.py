"""LiraProcessor: both tokenizers (multilingual for g, English for h) behind one `AutoProcessor`."""

import torch
from transformers import BatchEncoding, ProcessorMixin

from .configuration_lira import DEFAULT_LANG2ID
from .query_normalizer import LiraQueryNormalizer, one_piece_words

NEUTRAL_SCORE = 5.5  # critic score used where a candidate has no scores


class LiraProcessor(ProcessorMixin):
    r"""
    Turns texts, optional languages, optional English candidate translations and their critic scores into
    [`LiraModel`] inputs. Two tokenizers, as in processors such as InstructBLIP's: `tokenizer` (multilingual, for g;
    saved at the root) and `english_tokenizer` (for h; saved in the `english_tokenizer/` subfolder).

    Args:
        tokenizer ([`PreTrainedTokenizerBase`]): tokenizer of the multilingual encoder.
        english_tokenizer ([`PreTrainedTokenizerBase`]): tokenizer of the English encoder.
        lang2id (`dict[str, int]`, *optional*): must equal the model's `config.lang2id`.
        query_prefix (`str`, *optional*, defaults to `"query: "`): prefix for `text_type="query"` (e5 convention).
        passage_prefix (`str`, *optional*, defaults to `"passage: "`): prefix for `text_type="passage"`.
        max_length (`int`, *optional*, defaults to 128): truncation length of the LRL text.
        candidate_max_length (`int`, *optional*, defaults to 64): truncation length of each candidate.
        num_candidates (`int`, *optional*, defaults to 4): most candidates accepted per text (config K).

    A model folder may also hold `query_normalizer.json` ([`LiraQueryNormalizer`]): `from_pretrained` loads it as
    `processor.query_normalizer`, and queries (`text_type="query"`) are then rewritten into the vocabulary's script
    and spelling before tokenization (romanized Thai / Urdu / Bengali, Vietnamese without tone marks, typos);
    `normalize=False` turns it off per call.
    """

    def __init__(self, tokenizer=None, english_tokenizer=None, lang2id=None, query_prefix="query: ",
                 passage_prefix="passage: ", max_length=128, candidate_max_length=64, num_candidates=4, **kwargs):
        self.lang2id = dict(DEFAULT_LANG2ID if lang2id is None else lang2id)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.max_length = max_length
        self.candidate_max_length = candidate_max_length
        self.num_candidates = num_candidates
        self.query_normalizer = None
        super().__init__(tokenizer, english_tokenizer, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, **kwargs):
        """`ProcessorMixin.from_pretrained`, plus the folder's `query_normalizer.json` when it has one."""
        processor = super().from_pretrained(pretrained_model_name_or_path, **kwargs)
        hub = {k: kwargs[k] for k in ("cache_dir", "revision", "token", "local_files_only") if k in kwargs}
        normalizer = LiraQueryNormalizer.from_pretrained(str(pretrained_model_name_or_path), **hub)
        processor.query_normalizer = normalizer
        if normalizer is not None:  # words the multilingual tokenizer keeps whole are real words, not typos
            normalizer.known_word = one_piece_words(processor.tokenizer)
        return processor

    def save_pretrained(self, save_directory, **kwargs):
        """`ProcessorMixin.save_pretrained`, plus `query_normalizer.json` when a normalizer is set."""
        saved = super().save_pretrained(save_directory, **kwargs)
        if self.query_normalizer is not None:
            self.query_normalizer.save_pretrained(save_directory)
        return saved

    def _prefix(self, text_type):
        if text_type == "query":
            return self.query_prefix
        if text_type == "passage":
            return self.passage_prefix
        raise ValueError(f"text_type must be 'query' or 'passage', got {text_type!r}.")

    def language_ids(self, languages, batch_size):
        """Maps language codes (None = unknown -> -1) to a `(B,)` tensor."""
        if len(languages) != batch_size:
            raise ValueError(f"got {len(languages)} languages for {batch_size} texts; pass one code (or None) per text.")
        ids = []
        for i, code in enumerate(languages):
            if code is None:
                ids.append(-1)
            elif code in self.lang2id:
                ids.append(self.lang2id[code])
            else:
                raise ValueError(f"languages[{i}]={code!r} is not a known language; use one of "
                                 f"{sorted(self.lang2id)} or None to let the model identify it.")
        return torch.tensor(ids, dtype=torch.long)

    def keep_best_candidates(self, candidates, critic_scores=None):
        """Trims every candidate list to the model's K (`num_candidates`), keeping the best by total critic score.

        Ties and rows without scores keep their original order; kept candidates stay in their original order.

        Args:
            candidates (`list[list[str]]`): English candidates per text.
            critic_scores (`list[list[list[float]]]`, *optional*): (semantic, emotional, pragmatic) per candidate.

        Returns:
            `tuple[list, list | None]`: the trimmed candidates and critic scores.
        """
        limit = self.num_candidates
        out_c, out_s = [], None if critic_scores is None else []
        for i, cands in enumerate(candidates):
            cands = list(cands or [])
            scores = None if critic_scores is None else list(critic_scores[i] or [])
            keep = list(range(len(cands)))
            if len(cands) > limit:
                totals = [sum(scores[k]) if scores else 0.0 for k in keep]
                keep = sorted(sorted(keep, key=lambda k: -totals[k])[:limit])
            out_c.append([cands[k] for k in keep])
            if out_s is not None:
                out_s.append([scores[k] for k in keep] if scores else scores)
        return out_c, out_s

    def _candidates(self, candidates, critic_scores, batch_size, max_length):
        if len(candidates) != batch_size:
            raise ValueError(f"got {len(candidates)} candidate lists for {batch_size} texts; pass one list per text "
                             f"(an empty list where a text has no translation).")
        width = max(1, max(len(c) for c in candidates))
        if width > self.num_candidates:
            raise ValueError(f"a text has {width} candidates but the model takes at most {self.num_candidates}; "
                             f"keep the best {self.num_candidates}.")
        flat, mask = [], torch.zeros(batch_size, width, dtype=torch.bool)
        for i, row in enumerate(candidates):
            for k in range(width):
                text = row[k] if k < len(row) else ""
                if not isinstance(text, str):
                    raise ValueError(f"candidates[{i}][{k}] must be a string, got {type(text).__name__}.")
                mask[i, k] = k < len(row) and bool(text.strip())
                flat.append(text)
        enc = self.english_tokenizer(flat, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        attention = enc["attention_mask"].view(batch_size, width, -1) * mask.unsqueeze(-1)
        scores = torch.full((batch_size, width, 3), NEUTRAL_SCORE)
        if critic_scores is not None:
            if len(critic_scores) != batch_size:
                raise ValueError(f"got {len(critic_scores)} critic score lists for {batch_size} texts.")
            for i, row in enumerate(critic_scores):
                if len(row) != len(candidates[i]):
                    raise ValueError(f"critic_scores[{i}] has {len(row)} entries for {len(candidates[i])} candidates.")
                for k, triple in enumerate(row):
                    values = torch.as_tensor(triple, dtype=torch.float32)
                    if values.shape != (3,) or bool((values < 1).any() or (values > 10).any()):
                        raise ValueError(f"critic_scores[{i}][{k}]={list(triple)} must be 3 numbers in [1, 10] "
                                         f"(semantic, emotional, pragmatic).")
                    scores[i, k] = values
        return {
            "candidate_input_ids": enc["input_ids"].view(batch_size, width, -1),
            "candidate_attention_mask": attention,
            "candidate_mask": mask,
            "critic_scores": scores,
        }

    def __call__(self, text=None, languages=None, candidates=None, critic_scores=None, text_type="query",
                 max_length=None, return_tensors="pt", normalize=None, **kwargs):
        """
        Args:
            text (`str` or `list[str]`): texts in any language (raw; the e5 prefix is added here).
            languages (`list[str | None]`, *optional*): language code per text; None lets the model identify it.
            candidates (`list[list[str]]`, *optional*): English candidate translations per text (ragged).
            critic_scores (`list[list[list[float]]]`, *optional*): (semantic, emotional, pragmatic) per candidate.
            text_type (`str`, *optional*, defaults to `"query"`): `"query"` or `"passage"`.
            max_length (`int`, *optional*): overrides `self.max_length`.
            normalize (`bool`, *optional*): rewrite queries with `self.query_normalizer` (default: when one is
                loaded and `text_type="query"`); `True` without a normalizer raises.

        Returns:
            [`BatchEncoding`] with `input_ids`, `attention_mask` (+ `lang_ids`, candidate tensors when given).
        """
        if isinstance(text, str):
            text = [text]
        if not isinstance(text, (list, tuple)) or not text:
            raise ValueError(f"text must be a string or a non-empty list of strings, got {type(text).__name__}.")
        for i, t in enumerate(text):
            if not isinstance(t, str):
                raise ValueError(f"text[{i}] must be a string, got {type(t).__name__}.")
        if return_tensors != "pt":
            raise ValueError(f"LiraProcessor returns PyTorch tensors only; got return_tensors={return_tensors!r}.")
        prefix = self._prefix(text_type)
        if normalize and self.query_normalizer is None:
            raise ValueError("normalize=True but this processor has no query normalizer; build one with "
                             "`python -m training.query_normalizer --model DIR` and reload, or pass normalize=None.")
        if text_type == "query" and self.query_normalizer is not None and normalize is not False:
            text = self.query_normalizer(list(text), languages)
        enc = self.tokenizer([prefix + t for t in text], padding=True, truncation=True,
                             max_length=max_length or self.max_length, return_tensors="pt")
        data = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
        if languages is not None:
            data["lang_ids"] = self.language_ids(languages, len(text))
        if candidates is not None:
            data.update(self._candidates(candidates, critic_scores, len(text), self.candidate_max_length))
        elif critic_scores is not None:
            raise ValueError("critic_scores were given without candidates; pass the candidates they score.")
        return BatchEncoding(data)

    @property
    def model_input_names(self):
        return ["input_ids", "attention_mask", "lang_ids", "candidate_input_ids", "candidate_attention_mask",
                "candidate_mask", "critic_scores"]


__all__ = ["LiraProcessor"]
