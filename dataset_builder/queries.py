"""Queries and graded relevance, built from the products' localized names and keywords.

* Real queries: every localized name and keyword of every product, after NFC + lower-case + whitespace folding,
  deduplicated per language. A query is relevant to every product whose localized name or keyword list *equals* it
  (exact membership, not substring): grade 2 where it equals the product's name, otherwise grade 1.
* Composed queries (`composed=True`): two real terms (name or keyword) of the same product joined by a space, e.g.
  a category word and a product word. No word is invented; only the pairing is synthetic. Relevant: every product
  that has both terms; grade 2 where one term is that product's name. They fill the gap up to
  `max_queries_per_language`; pairs where one term contains the other, and strings that already are real queries,
  are skipped.
"""

import dataclasses
import hashlib
import random
import unicodedata
from collections import Counter

from .schema import GRADE_KEYWORD, GRADE_NAME
from lira_utils.defaults import SEED


@dataclasses.dataclass
class LiraQuery:
    """One query before splitting and candidate generation.

    Args:
        query_id (`str`): stable id (`<lang>-<12 hex digits of sha1(lang, query)>` unless given by a query log).
        language (`str`): language code.
        query (`str`): normalized query text.
        relevant (`dict[str, int]`): product id -> grade, best grade first.
        category (`str`): majority category of the relevant products.
        composed (`bool`): made by pairing two real terms.
        parts (`tuple[str, ...]`): the real terms the query is made of (one for real queries).
        kind (`str`): `name`, `keyword`, `composed` or `log` (from a user's query log).
    """

    query_id: str
    language: str
    query: str
    relevant: dict
    category: str
    composed: bool
    parts: tuple
    kind: str


def normalize_query(text):
    """NFC, lower-case, strip and fold runs of whitespace to one space."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def make_query_id(language, text):
    """Stable id that does not depend on build order: `<lang>-<sha1(lang, text)[:12]>`."""
    digest = hashlib.sha1(f"{language}\t{text}".encode("utf-8")).hexdigest()
    return f"{language}-{digest[:12]}"


def product_terms(product, language):
    """Normalized terms of one product in one language: `(name or None, [name, keywords...] deduplicated)`."""
    name = normalize_query(product.titles.get(language, "") or "")
    terms = [name] if name else []
    for keyword in product.keywords.get(language, []):
        keyword = normalize_query(keyword)
        if keyword and keyword not in terms:
            terms.append(keyword)
    return (name or None), terms


def term_index(products, language):
    """`term -> {product_id: grade}` over all products, in product order."""
    index = {}
    for product in products:
        name, terms = product_terms(product, language)
        for term in terms:
            grade = GRADE_NAME if term == name else GRADE_KEYWORD
            slot = index.setdefault(term, {})
            slot[product.product_id] = max(grade, slot.get(product.product_id, 0))
    return index


def order_relevant(relevant, position):
    """Sorts `{pid: grade}` by grade (best first) then by product order."""
    return dict(sorted(relevant.items(), key=lambda kv: (-kv[1], position[kv[0]])))


def majority_category(relevant, categories):
    """Most common category among the relevant products; ties go to the first (best) product's category."""
    counts = Counter(categories[pid] for pid in relevant)
    best = max(counts.values())
    for pid in relevant:
        if counts[categories[pid]] == best:
            return categories[pid]
    return ""


def real_queries(products, language):
    """Every localized name and keyword as a query with exact-membership graded relevance."""
    position = {p.product_id: i for i, p in enumerate(products)}
    categories = {p.product_id: p.category for p in products}
    out = []
    for term, relevant in term_index(products, language).items():
        relevant = order_relevant(relevant, position)
        kind = "name" if GRADE_NAME in relevant.values() else "keyword"
        out.append(
            LiraQuery(make_query_id(language, term), language, term, relevant,
                      majority_category(relevant, categories), False, (term,), kind)
        )  # fmt: skip
    return out


def composed_queries(products, language, budget, seed=SEED, taken=()):
    """Up to `budget` composed queries (two real terms of one product), chosen deterministically.

    Args:
        products (`list[LiraProduct]`): the corpus.
        language (`str`): language code.
        budget (`int`): maximum number of composed queries.
        seed (`int`, *optional*, defaults to 13): seed of the pair shuffle.
        taken (`Iterable[str]`, *optional*): query strings that already exist (real queries); never repeated.

    Returns:
        `list[LiraQuery]`: one order of every pair first, then the reverse orders, until the budget is spent.
    """
    if budget <= 0:
        return []
    index = term_index(products, language)
    position = {p.product_id: i for i, p in enumerate(products)}
    categories = {p.product_id: p.category for p in products}
    names = {p.product_id: product_terms(p, language)[0] for p in products}
    pairs = set()
    for product in products:
        terms = product_terms(product, language)[1]
        for i, a in enumerate(terms):
            for b in terms[i + 1 :]:
                if a not in b and b not in a:
                    pairs.add(tuple(sorted((a, b))))
    rng = random.Random(f"composed-{language}-{seed}")
    pairs = sorted(pairs)
    rng.shuffle(pairs)
    first = [pair if rng.random() < 0.5 else pair[::-1] for pair in pairs]
    ordered = first + [pair[::-1] for pair in first]
    seen, out = set(taken), []
    for a, b in ordered:
        if len(out) >= budget:
            break
        text = f"{a} {b}"
        if text in seen:
            continue
        seen.add(text)
        shared = index[a].keys() & index[b].keys()
        relevant = {pid: GRADE_NAME if names[pid] in (a, b) else GRADE_KEYWORD for pid in shared}
        relevant = order_relevant(relevant, position)
        out.append(
            LiraQuery(make_query_id(language, text), language, text, relevant,
                      majority_category(relevant, categories), True, (a, b), "composed")
        )  # fmt: skip
    return out


def build_queries(products, language, max_queries=10000, composed=True, seed=SEED):
    """Real queries of one language, topped up with composed ones to `max_queries`.

    Args:
        products (`list[LiraProduct]`): the corpus.
        language (`str`): language code.
        max_queries (`int`, *optional*, defaults to 10000): target number of queries (real ones are never cut).
        composed (`bool`, *optional*, defaults to `True`): add composed queries up to the target.
        seed (`int`, *optional*, defaults to 13): seed of the composed-pair choice.

    Returns:
        `list[LiraQuery]`: real queries first, then composed ones.
    """
    real = real_queries(products, language)
    if not composed:
        return real
    extra = composed_queries(products, language, max_queries - len(real), seed, {q.query for q in real})
    return real + extra
