"""LiraProcessor: both tokenizers (multilingual for g, English for h) behind one `AutoProcessor`."""

import torch
from transformers import BatchEncoding, ProcessorMixin

from .configuration_lira import (DEFAULT_LANG2ID, MAX_POSITIONS, PADDING_SIDES, check_choice, check_prefix,
                                 number_problem, short_repr)
from .query_normalizer import LiraQueryNormalizer, one_piece_words

NEUTRAL_SCORE = 5.5  # critic score used where a candidate has no scores
MAX_CHARS_PER_TOKEN = 32  # texts are cut at this many characters per kept token before tokenizing (no piece is longer)


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
        document_prefix (`str`, *optional*, defaults to `"passage: "`): prefix for `text_type="document"` (alias
            `"passage"`).
        english_prefix (`str`, *optional*, defaults to `""`): prefix of every candidate translation read by h.
        max_length (`int`, *optional*, defaults to 128): truncation length of the LRL text.
        candidate_max_length (`int`, *optional*, defaults to 64): truncation length of each candidate.
        num_candidates (`int`, *optional*, defaults to 4): most candidates accepted per text (config K).
        encoder_padding_side (`str`, *optional*): `"right"` or `"left"`, set on `tokenizer` (None keeps the
            tokenizer's own side); the attribute holds the side in effect.
        english_padding_side (`str`, *optional*): the same for `english_tokenizer`.
        passage_prefix (`str`, *optional*): the old name of `document_prefix` (processor_config.json files written
            before it was renamed); `processor.passage_prefix` reads `document_prefix`.

    [`LiraProcessor.from_config`] builds one with the prefixes, padding sides, languages and K of a [`LiraConfig`].

    A model folder may also hold `query_normalizer.json` ([`LiraQueryNormalizer`]): `from_pretrained` loads it as
    `processor.query_normalizer`, and queries (`text_type="query"`) are then rewritten into the vocabulary's script
    and spelling before tokenization (romanized Thai / Urdu / Bengali, Vietnamese without tone marks, typos);
    `normalize=False` turns it off per call. [`LiraProcessor.normalize_queries`] returns the text a query is
    tokenized as (rewritten or not), e.g. to show it or to feed the same text to another encoder.
    """

    def __init__(self, tokenizer=None, english_tokenizer=None, lang2id=None, query_prefix="query: ",
                 document_prefix="passage: ", english_prefix="", max_length=128, candidate_max_length=64,
                 num_candidates=4, encoder_padding_side=None, english_padding_side=None, passage_prefix=None,
                 **kwargs):
        if passage_prefix is not None:  # an older processor_config.json
            if document_prefix not in ("passage: ", passage_prefix):
                raise ValueError(f"got document_prefix={short_repr(document_prefix)} and its old name "
                                 f"passage_prefix={short_repr(passage_prefix)}; pass document_prefix only.")
            document_prefix = passage_prefix
        for name, value in (("query_prefix", query_prefix), ("document_prefix", document_prefix),
                            ("english_prefix", english_prefix)):
            check_prefix(value, f"LiraProcessor.{name}")
        for name, value in (("encoder_padding_side", encoder_padding_side),
                            ("english_padding_side", english_padding_side)):
            check_choice(value, f"LiraProcessor.{name}", PADDING_SIDES, none_means="keep the tokenizer's own side")
        self.lang2id = dict(DEFAULT_LANG2ID if lang2id is None else lang2id)
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self.english_prefix = english_prefix
        self.max_length = max_length
        self.candidate_max_length = candidate_max_length
        self.num_candidates = num_candidates
        self.query_normalizer = None
        super().__init__(tokenizer, english_tokenizer, **kwargs)
        for tok, side in ((self.tokenizer, encoder_padding_side), (self.english_tokenizer, english_padding_side)):
            if side is not None:
                tok.padding_side = side
        # the sides in effect, saved in processor_config.json
        self.encoder_padding_side = getattr(self.tokenizer, "padding_side", "right")
        self.english_padding_side = getattr(self.english_tokenizer, "padding_side", "right")

    @property
    def passage_prefix(self):
        """The old name of `document_prefix` (read and written through it)."""
        return self.document_prefix

    @passage_prefix.setter
    def passage_prefix(self, value):
        self.document_prefix = value

    @classmethod
    def from_config(cls, config, tokenizer, english_tokenizer, **kwargs):
        """A processor for a model of `config`: its languages, K, prefixes and padding sides.

        Args:
            config ([`LiraConfig`]): the model's configuration.
            tokenizer, english_tokenizer ([`PreTrainedTokenizerBase`]): g's and h's tokenizers.
            kwargs: other `LiraProcessor` arguments (`max_length`, `candidate_max_length`, ...), or overrides.
        """
        values = dict(lang2id=config.lang2id, num_candidates=config.num_candidates,
                      query_prefix=getattr(config, "query_prefix", "query: "),
                      document_prefix=getattr(config, "document_prefix", "passage: "),
                      english_prefix=getattr(config, "english_prefix", ""),
                      encoder_padding_side=getattr(config, "encoder_padding_side", "right"),
                      english_padding_side=getattr(config, "english_padding_side", "right"))
        return cls(tokenizer=tokenizer, english_tokenizer=english_tokenizer, **{**values, **kwargs})

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

    def kept_text(self, texts, prefix, max_length):
        """The part of each text that the tokenizer keeps at `max_length` tokens (after `prefix`), to the end of the
        word it cuts: what the query normalizer needs to read (the rest is cut after it anyway)."""
        if not getattr(self.tokenizer, "is_fast", False):  # no offsets: a bound in characters
            return [t[: 8 * max_length] for t in texts]
        enc = self.tokenizer([prefix + t for t in texts], truncation=True, max_length=max_length,
                             return_offsets_mapping=True)
        out = []
        for t, offsets in zip(texts, enc["offset_mapping"]):
            end = max((stop for _, stop in offsets), default=0) - len(prefix)  # end of the last kept piece
            limit = min(len(t), end + MAX_CHARS_PER_TOKEN)
            while 0 <= end < limit and not t[end].isspace():  # the rest of the word the cut fell in
                end += 1
            out.append(t if end >= len(t) else t[: max(end, 0)])
        return out

    def normalize_queries(self, texts, languages=None, max_length=None, normalize=None):
        """The queries exactly as `__call__` tokenizes them (after `query_prefix`): each text cut at
        `MAX_CHARS_PER_TOKEN` x `max_length` characters, then, when this processor has a query normalizer and
        `normalize` is not `False`, cut to the words the tokenizer keeps (`kept_text`) and rewritten by
        `self.query_normalizer`. `processor(texts, languages, normalize=...)` tokenizes this very text, so it is
        what to show, log, or hand to another encoder that should read the query as LiRA does.

        Args:
            texts (`str` or `list[str]`): queries as typed (a string is one query).
            languages (`list[str | None]`, *optional*): one language code (or None) per query, as in `__call__`; None
                lets the normalizer try every language.
            max_length (`int`, *optional*): overrides `self.max_length`, as in `__call__`.
            normalize (`bool`, *optional*): as in `__call__`: None rewrites when a normalizer is loaded, `False`
                never does (the texts are only cut), `True` without a normalizer raises.

        Returns:
            `list[str]`: one text per query, in order (a list of one for a single string).

        Raises:
            `ValueError`: a malformed argument, named with its index and value (`texts[1]`, `languages[0]`), a bad
                `max_length` or `normalize`, or `normalize=True` on a processor without a query normalizer.
        """
        texts = self._text_list(texts, "texts")
        max_length = self._max_length(max_length)
        if languages is not None:
            languages = self._language_codes(languages, len(texts))
        self._check_normalize(normalize)
        texts = self._cut(texts, max_length)
        if self.query_normalizer is None or normalize is False:
            return texts
        return list(self.query_normalizer(self.kept_text(texts, self.query_prefix, max_length), languages))

    @staticmethod
    def _cut(texts, max_length):
        """Each text cut at `MAX_CHARS_PER_TOKEN` x `max_length` characters: bounds the tokenizer's (and the query
        normalizer's) work on any input."""
        return [t[: MAX_CHARS_PER_TOKEN * max_length] for t in texts]

    @staticmethod
    def _text_list(text, name="text"):
        """`text` checked: a string (one text) or a non-empty list / tuple of strings, as a list."""
        if isinstance(text, str):
            return [text]
        if not isinstance(text, (list, tuple)) or not text:
            raise ValueError(f"{name} must be a string or a non-empty list of strings, got {type(text).__name__} "
                             f"{short_repr(text)}; e.g. {name}=['sepatu lari'].")
        for i, t in enumerate(text):
            if not isinstance(t, str):
                raise ValueError(f"{name}[{i}] must be a string, got {type(t).__name__} {short_repr(t)}.")
        return list(text)

    def _max_length(self, max_length):
        """`max_length` checked (None = `self.max_length`): at least the tokenizer's special tokens + 1 (below it the
        tokenizer does not truncate at all) and at most `MAX_POSITIONS`."""
        shortest = self.tokenizer.num_special_tokens_to_add() + 1
        if max_length is not None and number_problem(max_length, shortest, MAX_POSITIONS, integer=True) is not None:
            raise ValueError(f"max_length={short_repr(max_length)} must be an integer in [{shortest}, {MAX_POSITIONS}] "
                             f"(tokens, with the {shortest - 1} special ones), or None for the processor's "
                             f"{self.max_length}.")
        return max_length or self.max_length

    def _check_normalize(self, normalize):
        """`normalize` checked: None, True or False, and True only with a query normalizer."""
        if normalize is not None and not isinstance(normalize, bool):
            raise ValueError(f"normalize={short_repr(normalize)} must be True, False or None (rewrite queries when "
                             f"a query normalizer is loaded).")
        if normalize and self.query_normalizer is None:
            raise ValueError("normalize=True but this processor has no query normalizer; build one with "
                             "`python -m dataset_builder.normalizer --model DIR` and reload, or pass normalize=None.")

    def _prefix(self, text_type):
        if text_type == "query":
            return self.query_prefix
        if text_type in ("document", "passage"):
            return self.document_prefix
        raise ValueError(f"text_type must be 'query', 'document' or 'passage' (an alias of 'document'), got "
                         f"{short_repr(text_type)}.")

    @staticmethod
    def _as_list(value):
        """`value` as a list when it is a list, a tuple or an array / tensor (`tolist()`), else `None` (a string is
        not a list of anything)."""
        if isinstance(value, (list, tuple)):
            return list(value)
        if not isinstance(value, (str, bytes)) and callable(getattr(value, "tolist", None)):
            value = value.tolist()
            return value if isinstance(value, list) else None
        return None

    def _language_codes(self, languages, batch_size):
        """`languages` checked: a list of one known code (or None) per text."""
        codes = self._as_list(languages)
        if codes is None:
            raise ValueError(f"languages must be a list with one language code (or None) per text, got "
                             f"{short_repr(languages)}; e.g. languages=['vi'] for one Vietnamese text.")
        if len(codes) != batch_size:
            raise ValueError(f"got {len(codes)} languages for {batch_size} texts; pass one code (or None) per text.")
        for i, code in enumerate(codes):
            if code is not None and (not isinstance(code, str) or code not in self.lang2id):
                raise ValueError(f"languages[{i}]={short_repr(code)} is not a known language; use one of "
                                 f"{sorted(self.lang2id)} or None to let the model identify it.")
        return codes

    def language_ids(self, languages, batch_size):
        """Maps language codes (None = unknown -> -1) to a `(B,)` tensor.

        Raises:
            `ValueError`: `languages` is not a list of one known code (or None) per text.
        """
        codes = self._language_codes(languages, batch_size)
        return torch.tensor([-1 if code is None else self.lang2id[code] for code in codes], dtype=torch.long)

    def _candidate_rows(self, candidates):
        """`candidates` checked: one list of strings per text, a None row read as no candidates (`[]`)."""
        rows = self._as_list(candidates)
        if rows is None:
            raise ValueError(f"candidates must be a list with one list of English strings per text, got "
                             f"{short_repr(candidates)}; e.g. candidates=[['red apple']] for one text.")
        out = []
        for i, row in enumerate(rows):
            items = [] if row is None else self._as_list(row)
            if items is None:
                raise ValueError(f"candidates[{i}] must be a list of strings (or None for no candidates), got "
                                 f"{type(row).__name__} {short_repr(row)}; wrap a single candidate in a list.")
            for k, item in enumerate(items):
                if not isinstance(item, str):
                    raise ValueError(f"candidates[{i}][{k}] must be a string, got {type(item).__name__} "
                                     f"{short_repr(item)}.")
            out.append(items)
        return out

    def _score_triple(self, value, where, in_range=True):
        """One candidate's `[semantic, emotional, pragmatic]` as floats, each a finite number (in [1, 10] with
        `in_range`)."""
        low, high = (1, 10) if in_range else (-float("inf"), float("inf"))
        triple, problem = self._as_list(value), None
        if triple is None:
            problem = f"it is a {type(value).__name__}, not a list"
        elif len(triple) != 3:
            problem = f"it has {len(triple)} values"
        else:
            for j, x in enumerate(triple):
                why = number_problem(x, low, high)
                if why is not None:
                    problem = f"position {j} ({short_repr(x, 24)}): {why}"
                    break
        if problem is not None:
            kind = "numbers in [1, 10]" if in_range else "finite numbers"
            raise ValueError(f"{where}={short_repr(value)} must be 3 {kind} (semantic, emotional, pragmatic): "
                             f"{problem}.")
        return [float(x) for x in triple]

    def _score_rows(self, critic_scores, candidates, in_range=True):
        """`critic_scores` checked against the rows of `_candidate_rows`: per text None (no scores: neutral) or one
        `[semantic, emotional, pragmatic]` of floats per candidate (see `_score_triple`)."""
        if critic_scores is None:
            return [None] * len(candidates)
        rows = self._as_list(critic_scores)
        if rows is None:
            raise ValueError(f"critic_scores must be a list with one list of [semantic, emotional, pragmatic] per "
                             f"text, got {short_repr(critic_scores)}.")
        if len(rows) != len(candidates):
            raise ValueError(f"got {len(rows)} critic score lists for {len(candidates)} texts; pass one list per "
                             f"text (None where a text has no scores).")
        out = []
        for i, (row, cands) in enumerate(zip(rows, candidates)):
            triples = None if row is None else self._as_list(row)
            if row is not None and triples is None:
                raise ValueError(f"critic_scores[{i}] must be a list with one [semantic, emotional, pragmatic] per "
                                 f"candidate (or None for no scores), got {short_repr(row)}.")
            if triples is not None and len(triples) != len(cands):
                raise ValueError(f"critic_scores[{i}] has {len(triples)} entries for {len(cands)} candidates; pass "
                                 f"one [semantic, emotional, pragmatic] per candidate (or None for no scores).")
            out.append(None if triples is None else
                       [self._score_triple(t, f"critic_scores[{i}][{k}]", in_range) for k, t in enumerate(triples)])
        return out

    def keep_best_candidates(self, candidates, critic_scores=None):
        """Trims every candidate list to the model's K (`num_candidates`), keeping the best by total critic score.

        Ties and rows without scores keep their original order; kept candidates stay in their original order. Both
        lists are checked first, as `__call__` checks them, so a malformed, NaN or infinite score never decides what
        is kept; only the [1, 10] range of the scores is left to `__call__` (trimming does not need it).

        Args:
            candidates (`list[list[str] | None]`): English candidates per text; None = no candidates.
            critic_scores (`list[list[list[float]] | None]`, *optional*): (semantic, emotional, pragmatic) per
                candidate, each in [1, 10]; a None row = no scores for that text.

        Returns:
            `tuple[list, list | None]`: the trimmed candidates (None rows as `[]`) and critic scores (floats; None
            rows stay None; `None` when `critic_scores` is).

        Raises:
            `ValueError`: a malformed row, a non-string candidate, or a score that is not a finite number.
        """
        rows = self._candidate_rows(candidates)
        score_rows = self._score_rows(critic_scores, rows, in_range=False)
        limit = self.num_candidates
        out_c, out_s = [], None if critic_scores is None else []
        for cands, scores in zip(rows, score_rows):
            keep = list(range(len(cands)))
            if len(cands) > limit:
                totals = [sum(scores[k]) if scores else 0.0 for k in keep]
                keep = sorted(sorted(keep, key=lambda k: -totals[k])[:limit])
            out_c.append([cands[k] for k in keep])
            if out_s is not None:
                out_s.append(None if scores is None else [scores[k] for k in keep])
        return out_c, out_s

    def _candidates(self, candidates, critic_scores, batch_size, max_length):
        """Tokenized candidates `(B, K', L)`, their masks and critic scores `(B, K', 3)` (see `__call__`)."""
        rows = self._candidate_rows(candidates)
        if len(rows) != batch_size:
            raise ValueError(f"got {len(rows)} candidate lists for {batch_size} texts; pass one list per text "
                             f"(an empty list or None where a text has no translation).")
        score_rows = self._score_rows(critic_scores, rows)
        width = max(1, max(len(row) for row in rows))
        if width > self.num_candidates:
            i = next(i for i, row in enumerate(rows) if len(row) == width)
            raise ValueError(f"candidates[{i}] has {width} candidates but the model takes at most "
                             f"{self.num_candidates}; keep the best {self.num_candidates} with "
                             f"`processor.keep_best_candidates(candidates, critic_scores)`.")
        flat, mask = [], torch.zeros(batch_size, width, dtype=torch.bool)
        for i, row in enumerate(rows):
            for k in range(width):
                text = row[k] if k < len(row) else ""
                mask[i, k] = bool(text.strip())
                flat.append(self.english_prefix + text if mask[i, k] else text)
        enc = self.english_tokenizer(flat, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        attention = enc["attention_mask"].view(batch_size, width, -1) * mask.unsqueeze(-1)
        scores = torch.full((batch_size, width, 3), NEUTRAL_SCORE)
        for i, row in enumerate(score_rows):
            if row:
                scores[i, : len(row)] = torch.tensor(row, dtype=torch.float32)
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
            text (`str` or `list[str]`): texts in any language (raw; the query / document prefix is added here).
            languages (`list[str | None]`, *optional*): language code per text; None lets the model identify it.
            candidates (`list[list[str] | None]`, *optional*): English candidate translations per text (ragged, at
                most `num_candidates` each; see `keep_best_candidates`). A None row means no candidates, like `[]`.
            critic_scores (`list[list[list[float]] | None]`, *optional*): (semantic, emotional, pragmatic) per
                candidate, each a finite number in [1, 10] (not a bool or a string). A None row means no scores for
                that text: its candidates get the neutral 5.5, as when `critic_scores` is None.
            text_type (`str`, *optional*, defaults to `"query"`): `"query"` or `"document"` (`"passage"` is the same
                as `"document"`): which prefix g's text gets.
            max_length (`int`, *optional*): overrides `self.max_length`; at least the tokenizer's special tokens + 1
                and at most 131,072 (`MAX_POSITIONS`).
            normalize (`bool`, *optional*): rewrite queries with `self.query_normalizer` (default: when one is
                loaded and `text_type="query"`); `True` without a normalizer raises. The text a query is tokenized
                as is `normalize_queries(text, languages, max_length, normalize)`'s.

        Returns:
            [`BatchEncoding`] with `input_ids`, `attention_mask` (+ `lang_ids`, candidate tensors when given).

        Raises:
            `ValueError`: a malformed argument, named with its index (`text[2]`, `languages[0]`, `candidates[3]`,
                `critic_scores[0][1]`) and value.
        """
        text = self._text_list(text)
        if return_tensors != "pt":
            raise ValueError(f"LiraProcessor returns PyTorch tensors only; got return_tensors={return_tensors!r}.")
        max_length = self._max_length(max_length)
        if languages is not None:  # checked before the query normalizer reads them
            languages = self._language_codes(languages, len(text))
        prefix = self._prefix(text_type)
        self._check_normalize(normalize)
        if text_type == "query":  # the one path to the text a query is tokenized as (see `normalize_queries`)
            text = self.normalize_queries(text, languages, max_length=max_length, normalize=normalize)
        else:
            text = self._cut(text, max_length)
        enc = self.tokenizer([prefix + t for t in text], padding=True, truncation=True, max_length=max_length,
                             return_tensors="pt")
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
