"""Translation critics: three scores (semantic, emotional, pragmatic, each in [1, 10]) per English candidate.

* `QualityEstimationCritic` (`dataset_builder.qe_critic`, the default): reference-free quality estimation from a
  frozen multilingual encoder; it reads only the query, its language and the candidate.
* `ReferenceTranslationCritic` (opt-in, never the default): compares each candidate with the *aligned English
  reference* of the query (CLDR's English side). Since that reference is itself among the candidates, it is a
  perfect judge no real system has: use it only to study an upper bound, never in a headline table.
* `LLMJudgeTranslationCritic` prompts any transformers causal LM (id or local path) with the source query and one
  candidate (no reference) and parses three integers.

Every critic declares `reads_reference`; the builders pass the aligned references only to critics that read them.

Any object with the `TranslationCritic.score` signature can be passed to the builders.
"""

import re
import warnings

from .schema import LANGUAGE_NAMES, SCORE_MAX, SCORE_MIN

_TOKEN = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_STOPWORDS = frozenset("a an the of and or with in on at to for by from face".split())


def tokens(text):
    """Lower-cased word tokens (Unicode letters and digits)."""
    return _TOKEN.findall(text.lower())


def candidate_fluency(cand, vocabulary=None):
    """`(known, distinct)` of a candidate's tokens: the share found in `vocabulary` (1 without one) and the share
    that are not repeats. Both critics' pragmatic scores build on them."""
    known = 1.0 if vocabulary is None else sum(t in vocabulary for t in cand) / len(cand)
    return known, 1.0 - (len(cand) - len(set(cand))) / len(cand)


def _scale(x):
    """Maps [0, 1] to [1, 10], rounded to 2 decimals."""
    return round(SCORE_MIN + (SCORE_MAX - SCORE_MIN) * min(1.0, max(0.0, x)), 2)


class TranslationCritic:
    """Interface of a translation critic. Subclasses implement `score` and set `name` and `description`."""

    name = "base"
    description = ""
    reads_reference = False

    def score(self, queries, candidates, languages, references=None):
        """Scores every candidate of every query.

        Args:
            queries (`list[str]`): source (localized) queries.
            candidates (`list[list[str]]`): English candidates per query (ragged).
            languages (`list[str]`): language code per query.
            references (`list[list[str]]`, *optional*): aligned English reference strings per query.

        Returns:
            `list[list[list[float]]]`: per query, per candidate, `[semantic, emotional, pragmatic]` in [1, 10].
        """
        raise NotImplementedError


class ReferenceTranslationCritic(TranslationCritic):
    """Offline critic: token agreement with the aligned English reference.

    * semantic = 1 + 9 x the best token F1 between the candidate and any reference string;
    * emotional = 1 + 9 x the agreement (intersection over union) of affect words in the candidate and the best
      reference, 10 when neither has one. Affect words come from the English CLDR keywords of the "Smileys &
      Emotion" group (e.g. happy, cute, sad; see `from_cldr`); product names rarely contain one, so this score is
      mostly 10;
    * pragmatic = 1 + 9 x known x (0.5 + 0.5 x length ratio) x (1 - repeated share): `known` is the share of the
      candidate's tokens found in the English vocabulary (cut-off words are not), the length ratio compares token
      counts with the best reference.

    Args:
        vocabulary (`Iterable[str]`, *optional*): English vocabulary tokens; `None` skips the known-word factor.
        affect_words (`Iterable[str]`, *optional*): affect lexicon; `None` or empty makes emotional always 10.
    """

    name = "reference"
    reads_reference = True
    description = (
        "ReferenceTranslationCritic (opt-in, leaks the answer: the reference is among the candidates): offline, deterministic string-agreement proxy against the aligned CLDR English "
        "reference (semantic = token F1; emotional = agreement of affect words taken from the English CLDR keywords "
        "of the Smileys & Emotion group, mostly 10 for products; pragmatic = known-word share x length ratio x "
        "non-repetition). It is NOT a human or LLM judgement and it does not read the source-language text."
    )

    def __init__(self, vocabulary=None, affect_words=None):
        self.vocabulary = frozenset(vocabulary) if vocabulary is not None else None
        self.affect_words = frozenset(affect_words or ()) - _STOPWORDS

    @classmethod
    def from_cldr(cls, modules, extra_vocabulary=()):
        """Critic whose vocabulary is every English CLDR name and keyword and whose affect words are the tokens of
        the English keywords of the Smileys & Emotion group that occur in no other emoji's English name (this
        removes concrete nouns such as fire, tea or money; some neutral words remain)."""
        from .sources import load_annotations, load_emoji_groups, lookup

        english = load_annotations(str(modules), "en")
        vocabulary = set(extra_vocabulary)
        for value in english.values():
            for text in value.get("tts", []) + value.get("default", []):
                vocabulary.update(tokens(text))
        affect, concrete = set(), set()
        for group in load_emoji_groups(str(modules)):
            for entry in group["emojis"]:
                value = lookup(english, entry["emoji"]) or {}
                if group["slug"] == "smileys_emotion":
                    affect.update(t for text in value.get("default", []) for t in tokens(text))
                else:
                    concrete.update(t for text in value.get("tts", []) for t in tokens(text))
        return cls(vocabulary=vocabulary, affect_words=affect - concrete)

    @staticmethod
    def _f1(cand, ref):
        if not cand or not ref:
            return 0.0
        common = sum(min(cand.count(t), ref.count(t)) for t in set(cand))
        if not common:
            return 0.0
        precision, recall = common / len(cand), common / len(ref)
        return 2 * precision * recall / (precision + recall)

    def score_one(self, candidate, references):
        """`[semantic, emotional, pragmatic]` of one candidate against its references."""
        cand = tokens(candidate)
        refs = [tokens(r) for r in references] or [[]]
        f1s = [self._f1(cand, ref) for ref in refs]
        best = refs[max(range(len(refs)), key=lambda i: f1s[i])]
        affect_c, affect_r = set(cand) & self.affect_words, set(best) & self.affect_words
        union = affect_c | affect_r
        emotional = len(affect_c & affect_r) / len(union) if union else 1.0
        if not cand:
            return [_scale(0.0), _scale(emotional), _scale(0.0)]
        known, repeated = candidate_fluency(cand, self.vocabulary)
        length = min(len(cand), len(best)) / max(len(cand), len(best)) if best else 0.0
        return [_scale(max(f1s)), _scale(emotional), _scale(known * (0.5 + 0.5 * length) * repeated)]

    def score(self, queries, candidates, languages, references=None):
        if references is None:
            raise ValueError("ReferenceTranslationCritic needs `references` (the aligned English of each query); "
                             "use the reference-free QualityEstimationCritic when there is none.")
        return [[self.score_one(c, refs) for c in cands] for cands, refs in zip(candidates, references)]


DEFAULT_JUDGE_PROMPT = (
    "You are a translation critic for product search.\n"
    "Source query ({language}): {query}\n"
    "English candidate: {candidate}\n"
    "Rate the candidate from 1 to 10 for semantic fidelity, emotional tone and pragmatic fit as a shopping query. "
    "Answer with three integers: semantic emotional pragmatic.\n"
    "Scores:"
)


def parse_judge_scores(text):
    """First three numbers of a generation, clamped to [1, 10]; `None` when fewer than three are found."""
    numbers = [float(x) for x in _NUMBER.findall(text)[:3]]
    if len(numbers) < 3:
        return None
    return [min(SCORE_MAX, max(SCORE_MIN, x)) for x in numbers]


class LLMJudgeTranslationCritic(TranslationCritic):
    """LLM-as-a-judge critic over any transformers causal language model.

    Args:
        model_name_or_path (`str`): Hub id or local folder of a `AutoModelForCausalLM` model and its tokenizer.
        prompt_template (`str`, *optional*, defaults to `DEFAULT_JUDGE_PROMPT`): must contain `{query}` and
            `{candidate}`; may contain `{language}` (the language name).
        device (`str`, *optional*): torch device; defaults to CUDA when available, else CPU.
        batch_size (`int`, *optional*, defaults to 16): prompts per `generate` call.
        max_new_tokens (`int`, *optional*, defaults to 12): generation length.
        fallback (`list[float]`, *optional*, defaults to `[5.5, 5.5, 5.5]`): scores used when parsing fails
            (a warning reports how many).
        generation_kwargs (`dict`, *optional*): extra `generate` arguments (greedy decoding by default).
    """

    name = "llm_judge"

    def __init__(self, model_name_or_path, prompt_template=DEFAULT_JUDGE_PROMPT, device=None, batch_size=16,
                 max_new_tokens=12, fallback=(5.5, 5.5, 5.5), generation_kwargs=None):  # fmt: skip
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        for field in ("{query}", "{candidate}"):
            if field not in prompt_template:
                raise ValueError(f"prompt_template must contain {field}; got {prompt_template!r}.")
        try:
            prompt_template.format(query="", candidate="", language="")
        except (KeyError, IndexError) as err:
            raise ValueError(f"prompt_template has an unknown field {err}; allowed: query, candidate, language.")
        self.prompt_template = prompt_template
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model_name_or_path)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model_name_or_path).to(self.device).eval()
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        self.fallback = [float(x) for x in fallback]
        self.generation_kwargs = {"do_sample": False, **(generation_kwargs or {})}
        self.description = (
            f"LLMJudgeTranslationCritic: scores generated by the causal LM '{model_name_or_path}' from the prompt "
            "template below (three integers parsed, clamped to [1, 10]); quality depends entirely on that model.\n"
            f"Prompt template: {prompt_template!r}"
        )

    def generate(self, prompts):
        """Greedy continuations of `prompts` (new text only)."""
        import torch

        outputs = []
        for start in range(0, len(prompts), self.batch_size):
            batch = self.tokenizer(prompts[start : start + self.batch_size], return_tensors="pt", padding=True)
            batch = {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
            with torch.no_grad():
                generated = self.model.generate(
                    **batch, max_new_tokens=self.max_new_tokens, pad_token_id=self.tokenizer.pad_token_id,
                    **self.generation_kwargs,
                )  # fmt: skip
            new = generated[:, batch["input_ids"].shape[1] :]
            outputs += self.tokenizer.batch_decode(new, skip_special_tokens=True)
        return outputs

    def score(self, queries, candidates, languages, references=None):
        prompts, owners = [], []
        for i, (query, cands, lang) in enumerate(zip(queries, candidates, languages)):
            for cand in cands:
                language = LANGUAGE_NAMES.get(lang, lang)
                prompts.append(self.prompt_template.format(query=query, candidate=cand, language=language))
                owners.append(i)
        out = [[] for _ in queries]
        failed = 0
        for owner, text in zip(owners, self.generate(prompts) if prompts else []):
            scores = parse_judge_scores(text)
            if scores is None:
                failed += 1
                scores = list(self.fallback)
            out[owner].append(scores)
        if failed:
            warnings.warn(
                f"LLMJudgeTranslationCritic could not parse three scores in {failed} of {len(prompts)} generations; "
                f"used the fallback {self.fallback} for them.",
                stacklevel=2,
            )
        return out


def critic_lexicon(npm_dir=None):
    """`{"vocabulary": [...], "affect_words": [...]}` from the CLDR English data, as the dataset critic uses them
    (the demo Space ships it as `critic_lexicon.json`, so typed candidates get the same pragmatic score).

    Returns:
        `dict`, or `None` when the CLDR npm packages are not installed.
    """
    from .sources import ensure_sources

    try:
        modules = ensure_sources(npm_dir)
    except FileNotFoundError:
        return None
    reference = ReferenceTranslationCritic.from_cldr(modules)
    return {"vocabulary": sorted(reference.vocabulary), "affect_words": sorted(reference.affect_words)}
