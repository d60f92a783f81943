"""English candidates for `test_noisy`: a label-free dictionary translator that reads the text the user typed.

The clean candidates (`candidates.CandidateGenerator`) start from the query's relevance labels. A noisy row must not:
a real translator reads only what was typed. `LiraNoisyTranslator` is a dictionary translator of one language:

* **Vocabulary**: every localized product term of the catalogue (names and keywords of all products: the bilingual
  dictionary any translator has), each with the English the aligner gives for the term's own catalogue product
  set (`queries.term_index`, i.e. the candidates of that term as a query), plus the clean texts of the `train` and
  `validation` queries with their clean candidates (translation memory). Test queries never enter as queries:
  a composed test query is nowhere in the vocabulary; a real test query is a catalogue term (queries are terms by
  construction), present only as that term. `exclude_texts` removes texts altogether (strict studies).
* **Matching** is the query normalizer's (`modeling_lira.spelling_index.LiraSpellingIndex`, one span matcher for the
  package): per span of whitespace words of the typed text, `exact` (NFC, lower-case, spaces folded; punctuation
  ignored), `unaccented` (`strip_diacritics` on both sides), `romanized` (the noise module's
  romaniser applied to every entry: Thai RTGS, Urdu/Bengali anyascii, i.e. a translator that also reads romanised
  input), `fuzzy` (one slip away from an entry: a swap of neighbours, a missing, doubled or extra letter, with the
  index's rules for short spans, and `difflib` ratio >= `threshold`; spans of 4+ letters). The index's dynamic
  programme segments the text into matched spans maximising a credit (an equality: the span's length times 1 / 0.98
  / 0.96 by method; a fuzzy match: 0.9 x (3M - typed length - entry length), M matching characters; ties: fewer
  spans); words nothing matches (e.g. a code-mixed English word) are left untranslated, and skipped when the words
  around them then match more (an English word typed inside a term). A text whose matched words are fewer than
  `min_coverage` of its words gets no translation: empty candidates, candidate mode not applicable.
* **Candidates**: one span: the matched entry's K candidates (its aligned ones relabelled `noisy_<method>`, its
  distractors kept). Several spans: the spans' English joined in order and the longest span's English alone
  (`noisy_<method>`), plus distractors as the clean path makes them (a `wrong_sense` of a matched entry,
  `word_drop`, `truncation`), shuffled with a seeded RNG. `<method>` is the weakest method of the spans used.
"""

import dataclasses
import random

from modeling_lira.spelling_index import LiraSpellingIndex, without_punctuation

from .candidates import CandidateGenerator
from .noise import _romanizer
from .queries import normalize_query, real_queries
from .schema import LANGUAGES, NUM_CANDIDATES, check_zero_shot_languages
from lira_utils.defaults import SEED

METHODS = ("exact", "unaccented", "romanized", "fuzzy")
"""Match methods, strongest first; a candidate's source is `noisy_<method>`."""
NOISY_SOURCES = tuple(f"noisy_{m}" for m in METHODS)
MIN_FUZZY_LETTERS = 4
"""Least letters of a fuzzy-matched span (the normalizer's default is 5: a translator may guess at shorter words)."""
DEFAULT_THRESHOLD = 0.8
"""Least `difflib` ratio of a fuzzy match: one typo (swap, deletion, duplication) in a span of 5+ characters stays at
or above it (a swap in n characters gives (n-1)/n); short words are left to the exact matches."""
DEFAULT_MIN_COVERAGE = 0.5
"""Least share of the typed words matched: a one-word query with a code-mixed word inserted still translates."""
_GOOD_PRIORITY = {"composed": ("aligned_parts",), "name": ("aligned_name",), "keyword": ("aligned_keyword",),
                  "log": ("aligned_name", "aligned_keyword")}  # fmt: skip


@dataclasses.dataclass
class TranslatorEntry:
    """One vocabulary entry.

    Args:
        text (`str`): normalized localized text.
        origin (`str`): `term` (catalogue), `train` or `validation` (a clean query of that split).
        candidates (`list[str]`): its English candidates; sources (`list[str]`) their provenance.
        references (`list[str]`): its aligned English (given only to critics that read references).
        english (`str`): its translation: the first aligned candidate of the kind's priority.
    """

    text: str
    origin: str
    candidates: list
    sources: list
    references: list
    english: str


@dataclasses.dataclass
class NoisyTranslation:
    """The output for one typed text: `candidates`, `sources`, `references`, `method` (`None` when nothing matched),
    `spans` (`[(typed span, entry text, method, similarity)]`) and `coverage` (share of words matched)."""

    candidates: list
    sources: list
    references: list
    method: object
    spans: list
    coverage: float


def make_entry(text, origin, kind, candidates, sources, references):
    """A `TranslatorEntry` whose `english` is the first aligned candidate in the priority of the query `kind`."""
    english = None
    for wanted in _GOOD_PRIORITY.get(kind, ()) + ("aligned_name", "aligned_keyword", "aligned_parts"):
        english = next((c for c, s in zip(candidates, sources) if s == wanted), None)
        if english:
            break
    english = english or (candidates[0] if candidates else None)
    return TranslatorEntry(normalize_query(text), origin, list(candidates), list(sources), list(references), english)


class LiraNoisyTranslator:
    """Dictionary translator for the noisy test queries of one language (see the module docstring).

    Args:
        language (`str`): language code.
        entries (`Iterable[TranslatorEntry]`): the vocabulary; on duplicate texts the first entry wins.
        threshold (`float`, *optional*, defaults to 0.8): least `difflib` ratio of a fuzzy match.
        min_coverage (`float`, *optional*, defaults to 0.5): least share of the typed words that must be matched.
        num_candidates (`int`, *optional*, defaults to 4): K.
        seed (`int`, *optional*, defaults to 13): seed of the candidate shuffle.
        exclude_texts (`Iterable[str]`, *optional*): texts that must not be in the vocabulary (dropped).
        zero_shot (`bool`, *optional*, defaults to `False`): `language` may be a test-only zero-shot language
            (`schema.check_zero_shot_languages`); it has no `unaccented` rule (`strip_diacritics` leaves it as
            typed) and no romaniser, so only `exact` and `fuzzy` matches occur.

    Raises:
        `ValueError`: for an unknown language, a threshold or coverage outside (0, 1], or K < 1.
    """

    def __init__(self, language, entries, threshold=DEFAULT_THRESHOLD, min_coverage=DEFAULT_MIN_COVERAGE,
                 num_candidates=NUM_CANDIDATES, seed=SEED, exclude_texts=(), zero_shot=False):  # fmt: skip
        if language not in LANGUAGES and not (zero_shot and check_zero_shot_languages([language])):
            raise ValueError(f"Unknown language {language!r}; use one of {list(LANGUAGES)} (or zero_shot=True for a "
                             "test-only zero-shot language).")
        for name, value in (("threshold", threshold), ("min_coverage", min_coverage)):
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"{name}={value!r} must be a number in (0, 1], e.g. {name}=0.8.")
        if num_candidates < 1:
            raise ValueError(f"num_candidates={num_candidates!r} must be >= 1, e.g. 4.")
        self.language, self.threshold, self.min_coverage = language, float(threshold), float(min_coverage)
        self.k, self.seed = num_candidates, seed
        excluded = {normalize_query(t) for t in exclude_texts}
        self.entries, self.exact = [], {}
        for entry in entries:
            if entry.text and entry.candidates and entry.text not in excluded and entry.text not in self.exact:
                self.exact[entry.text] = len(self.entries)
                self.entries.append(entry)
        romanize = _romanizer(language)
        self.index = LiraSpellingIndex(
            language, [{"text": e.text, "romanized": [romanize(e.text)] if romanize else []} for e in self.entries],
            self.threshold, min_letters=MIN_FUZZY_LETTERS)  # fmt: skip

    @classmethod
    def from_build(cls, products, language, generator, known_queries, **kwargs):
        """The build's translator: the catalogue's terms plus the clean train and validation queries.

        Args:
            products (`list[LiraProduct]`): the catalogue.
            language (`str`): language code.
            generator (`CandidateGenerator`): the clean candidate path of this language (gives each term's English).
            known_queries (`Iterable[tuple]`): `(text, split, kind, candidates, sources, references)` of the clean
                queries the translator may know; a `split` other than `train` or `validation` raises.
            **kwargs: the other arguments of the class.
        """
        if not isinstance(generator, CandidateGenerator):
            raise ValueError(f"generator must be a CandidateGenerator, got {type(generator).__name__}.")
        entries = [make_entry(q.query, "term", q.kind, *generator(q)) for q in real_queries(products, language)]
        for text, split, kind, candidates, sources, references in known_queries:
            if split not in ("train", "validation"):
                raise ValueError(f"Query {text!r} is from split {split!r}: only train and validation queries may "
                                 "enter the noisy translator's vocabulary (test texts would hand it the source).")
            entries.append(make_entry(text, split, kind, candidates, sources, references))
        return cls(language, entries, **kwargs)

    def vocabulary(self):
        """`{text: origin}` of every entry."""
        return {e.text: e.origin for e in self.entries}

    def _entry_of(self, text):
        """The entry index of a text the index matched (as typed, without punctuation, or by its unaccented form)."""
        for key in (text, without_punctuation(text), self.index.unaccented.get(self.index.unaccent(text))):
            if key in self.exact:
                return self.exact[key]
        raise KeyError(f"the spelling index matched {text!r}, which is no entry of the translator")

    def spans(self, words):
        """The best segmentation of folded `words`: `[(start, end, entry index, method, similarity)]`."""
        _, found = self.index.segment(words)
        return [(i, j, self._entry_of(text), method, similarity) for i, j, text, method, similarity in found]

    def _read(self, words):
        """`(words read, their spans)`: the segmentation of `words`, or that of the words some known text holds when it
        matches more words, or as many in fewer spans (a code-mixed word typed inside a term, "sepatu cheap lari",
        leaves "sepatu lari" to match whole; a typo stays in, since the first reading corrects it)."""

        def score(found):  # more words matched, then fewer spans
            return sum(j - i for i, j, *_ in found), -len(found)

        spans = self.spans(words)
        known = [w for w in words if w in self.index.words]
        if known and len(known) < len(words):
            other = self.spans(known)
            if score(other) > score(spans):
                return known, other
        return words, spans

    def translate(self, text, key):
        """Translates one typed text; it is given nothing but the text and an id for the seeded shuffle.

        Args:
            text (`str`): the text as typed (the noisy query).
            key (`str`): the row's id (seeds the shuffle of multi-span candidates).

        Returns:
            `NoisyTranslation`: empty candidates and `method=None` when the matched words are fewer than
            `min_coverage` of the words.

        Raises:
            `ValueError`: when `text` is not a non-empty string.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"translate() needs the typed text as a non-empty string, got {text!r}.")
        typed = normalize_query(text).split()
        words, spans = self._read(typed)
        covered = sum(j - i for i, j, *_ in spans) / len(typed)
        if not spans or covered < self.min_coverage:
            return NoisyTranslation([], [], [], None, [], covered)
        method = max((s[3] for s in spans), key=METHODS.index)
        label = f"noisy_{method}"
        report = [(" ".join(words[i:j]), self.entries[e].text, m, round(r, 4)) for i, j, e, m, r in spans]
        if len(spans) == 1:
            entry = self.entries[spans[0][2]]
            sources = [label if s.startswith("aligned_") else s for s in entry.sources]
            return NoisyTranslation(entry.candidates[: self.k], sources[: self.k], list(entry.references), method,
                                    report, covered)  # fmt: skip
        used = [self.entries[s[2]] for s in spans]
        joined = " ".join(e.english for e in used)
        longest = max(zip(spans, used), key=lambda su: su[0][1] - su[0][0])[1].english
        rng = random.Random(f"noisy-candidates-{self.seed}-{key}")
        out, seen = [], set()

        def add(candidate, source):
            if candidate and candidate.lower() not in seen and len(out) < self.k:
                seen.add(candidate.lower())
                out.append((candidate, source))

        add(joined, label)
        add(longest, label)
        wrong = [(c, s) for e in used for c, s in zip(e.candidates, e.sources) if s in ("wrong_sense", "other_product")]
        add(*(wrong[0] if wrong else (None, None)))
        add(CandidateGenerator._word_drop(joined, rng), "word_drop")
        add(CandidateGenerator._truncate(joined, rng), "truncation")
        for candidate, source in wrong[1:]:
            add(candidate, source)
        rng.shuffle(out)
        return NoisyTranslation([c for c, _ in out], [s for _, s in out], [joined], method, report, covered)
