"""Shared pytest fixtures for the training area: tiny query/product rows built in code."""

import pytest

TINY_PRODUCTS = [("p0", "wireless headphones"), ("p1", "running shoes"), ("p2", "red apple"), ("p3", "tea kettle"),
                 ("p4", "bicycle"), ("p5", "phone camera")]
TINY_QUERIES = [("tai nghe không dây", "vi", "p0"), ("หูฟัง", "th", "p0"), ("sepatu lari", "id", "p1"),
                ("red apple", "ms", "p2"), ("kettle tea", "fil", "p3"), ("bicycle", "ur", "p4"),
                ("phone camera", "bn", "p5"), ("book", "vi", "p2")]


def tiny_rows():
    corpus = [{"product_id": pid, "title_en": title, "keywords_en": []} for pid, title in TINY_PRODUCTS]
    titles = dict(TINY_PRODUCTS)
    queries = []
    for i, (text, lang, pid) in enumerate(TINY_QUERIES):
        other = TINY_PRODUCTS[(i + 1) % len(TINY_PRODUCTS)][1]
        queries.append({"query_id": f"q{i}", "language": lang, "query": text, "relevant_ids": [pid],
                        "relevance": [2], "candidates": [titles[pid], other],
                        "critic_scores": [[9.0, 8.0, 9.0], [2.0, 5.0, 4.0]]})
    return queries, corpus


@pytest.fixture
def tiny_training_rows():
    return tiny_rows()
