"""English candidate translations for Arca: up to K strings per query, each with its provenance.

No offline machine translation exists for these languages (`shared/docs/offline_assets.md` section 8), so every
candidate comes from the aligned English side of the data itself. Sources (recorded per candidate in
`candidate_sources`, see `schema.CANDIDATE_SOURCES`):

* good: `aligned_name` (the English name of the primary product; an exact human translation for name queries),
  `aligned_keyword` (the English term whose product set best matches the localized term's product set, Jaccard
  over products; ties broken by character similarity, which only helps Latin-script loanwords, then alphabetically),
  `aligned_parts` (composed queries: the aligned English of each part, in order);
* noisy: `wrong_sense` (English name of another product sharing the localized term), `other_product` (fallback:
  same category), `word_drop`, `truncation`, `en_keyword` (another English keyword of the product).

Candidates are shuffled with a per-query seeded RNG, so the good one is not always first.
"""

import difflib
import random

from .schema import GRADE_NAME, NUM_CANDIDATES
from .queries import normalize_query, product_terms, term_index
from lira_utils.defaults import SEED


class EnglishAligner:
    """Aligns a localized term to English terms through the products they occur in.

    Args:
        products (`list[LiraProduct]`): the corpus (English names and keywords are read).
    """

    def __init__(self, products):
        self.english_terms = {}
        self.index = {}
        for product in products:
            terms = []
            for term in [product.title_en, *product.keywords_en]:
                term = term.strip()
                if term and term.lower() not in [t.lower() for t in terms]:
                    terms.append(term)
            self.english_terms[product.product_id] = terms
            for term in terms:
                self.index.setdefault(term.lower(), set()).add(product.product_id)
        self._cache = {}

    def rank(self, product_ids, text):
        """English terms of `product_ids` ranked for `text`; returns `(ranked terms, ties at the top score)`."""
        key = (frozenset(product_ids), text)
        if key not in self._cache:
            pids = set(product_ids)
            scored = {}
            for pid in sorted(pids):
                for term in self.english_terms.get(pid, []):
                    if term.lower() in scored:
                        continue
                    occurs = self.index[term.lower()]
                    jaccard = len(pids & occurs) / len(pids | occurs)
                    similarity = difflib.SequenceMatcher(None, text, term.lower()).ratio()
                    scored[term.lower()] = (-round(jaccard, 9), -round(similarity, 9), term.lower(), term)
            ranked = sorted(scored.values())
            ties = [r[3] for r in ranked if ranked and r[0] == ranked[0][0]]
            self._cache[key] = ([r[3] for r in ranked], ties)
        return self._cache[key]


class CandidateGenerator:
    """Builds the K English candidates (and the critic's references) of every query of one language.

    Args:
        products (`list[LiraProduct]`): the full corpus (all splits; candidates are translations, not labels).
        language (`str`): language code.
        num_candidates (`int`, *optional*, defaults to 4): K.
        seed (`int`, *optional*, defaults to 13): seed of the per-query RNG.
        aligner (`EnglishAligner`, *optional*): shared aligner (built from `products` when omitted).
    """

    def __init__(self, products, language, num_candidates=NUM_CANDIDATES, seed=SEED, aligner=None):
        self.products = {p.product_id: p for p in products}
        self.order = [p.product_id for p in products]
        self.language = language
        self.k = num_candidates
        self.seed = seed
        self.aligner = aligner or EnglishAligner(products)
        self.index = term_index(products, language)
        self.terms = {p.product_id: product_terms(p, language) for p in products}
        self.by_category = {}
        for p in products:
            self.by_category.setdefault(p.category, []).append(p.product_id)

    def _aligned(self, term, primary, avoid=()):
        """Aligned English of one localized term of `primary` (the best-ranked one not in `avoid`)."""
        title = self.products[primary].title_en
        if term == self.terms[primary][0]:
            return title
        pids = self.index.get(term) or {primary: 1}
        ranked, _ = self.aligner.rank(pids.keys(), term)
        ranked = [r for r in ranked if r.lower() not in avoid] or ranked
        return ranked[0] if ranked else title

    def _wrong_sense(self, query, primary, exclude, rng):
        pool = [pid for part in query.parts for pid in self.index.get(part, {}) if pid != primary]
        if not pool:
            shared = {pid for term in self.terms[primary][1] for pid in self.index.get(term, {})}
            pool = [pid for pid in self.order if pid in shared and pid not in query.relevant]
        source = "wrong_sense"
        pool = [pid for pid in dict.fromkeys(pool) if self.products[pid].title_en.lower() not in exclude]
        if not pool:
            source = "other_product"
            pool = [pid for pid in self.by_category.get(self.products[primary].category, []) if pid != primary]
            pool = [pid for pid in pool if self.products[pid].title_en.lower() not in exclude]
        return (self.products[rng.choice(pool)].title_en, source) if pool else (None, None)

    @staticmethod
    def _word_drop(text, rng):
        words = text.split()
        if len(words) < 2:
            return None
        del words[rng.randrange(len(words))]
        return " ".join(words)

    @staticmethod
    def _truncate(text, rng):
        if len(text) < 4:
            return None
        cut = rng.randint(max(2, int(len(text) * 0.4)), max(2, int(len(text) * 0.75)))
        out = text[:cut].rstrip()
        return out if out and out != text else None

    def __call__(self, query):
        """Candidates of one query.

        Args:
            query (`LiraQuery`): the query (its `relevant` must be the unrestricted relevance).

        Returns:
            `tuple[list[str], list[str], list[str]]`: candidates, their sources, and the reference English strings
            the heuristic critic compares against (the aligned English of the query).
        """
        rng = random.Random(f"candidates-{self.seed}-{query.query_id}")
        primary = next(iter(query.relevant))
        title = self.products[primary].title_en
        good = []
        if query.kind == "name" or (query.kind == "log" and query.relevant[primary] >= GRADE_NAME):
            good, references = [(title, "aligned_name")], [title]
            if query.kind == "log":
                ranked, _ = self.aligner.rank(query.relevant.keys(), query.query)
                good += [(ranked[0], "aligned_keyword")] if ranked else []
        elif query.kind == "composed":
            parts = []
            for part in query.parts:
                parts.append(self._aligned(part, primary, avoid={p.lower() for p in parts}))
            joined = " ".join(parts)
            good, references = [(joined, "aligned_parts"), (title, "aligned_name")], [joined]
        else:  # keyword or log query
            ranked, ties = self.aligner.rank(query.relevant.keys(), normalize_query(query.query))
            best = ranked[0] if ranked else title
            good, references = [(best, "aligned_keyword"), (title, "aligned_name")], (ties[:5] or [best])
            if query.kind == "log":
                references = [title, best]
        out, seen = [], set()

        def add(text, source):
            if text and text.lower() not in seen and len(out) < self.k:
                seen.add(text.lower())
                out.append((text, source))

        for text, source in good[:2]:
            add(text, source)
        first = out[0][0]
        add(*self._wrong_sense(query, primary, seen, rng))
        add(self._word_drop(first, rng), "word_drop")
        add(self._truncate(first, rng), "truncation")
        spare = [kw for kw in self.products[primary].keywords_en if kw.lower() not in seen]
        add(rng.choice(spare) if spare else None, "en_keyword")
        add(*self._wrong_sense(query, primary, seen, rng))
        rng.shuffle(out)
        return [t for t, _ in out], [s for _, s in out], references
