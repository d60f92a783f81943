"""What a system reads: the English text standing for a product, and the critic's top candidate of a query."""

DOC_FIELDS = ("title", "title_keywords")


def document_text(product, doc_field="title"):
    """The English text that stands for a product on the document side.

    Args:
        product (`dict`): a corpus row (needs `title_en`; `keywords_en` for `title_keywords`).
        doc_field (`str`, *optional*, defaults to `"title"`): `"title"` (English title only) or
            `"title_keywords"` (`"<title> | <kw1>, <kw2>, ..."`).

    Returns:
        `str`
    """
    if doc_field == "title":
        return product["title_en"]
    if doc_field == "title_keywords":
        keywords = [k for k in (product.get("keywords_en") or []) if k]
        return product["title_en"] + (" | " + ", ".join(keywords) if keywords else "")
    raise ValueError(f"doc_field={doc_field!r} is not supported; use one of {list(DOC_FIELDS)}.")


def top_candidate_index(candidates, critic_scores):
    """Index of the candidate with the highest critic semantic score (earliest on ties; 0 without usable scores), or
    None when there is no candidate."""
    if not candidates:
        return None
    if not critic_scores or len(critic_scores) != len(candidates):
        return 0
    return max(range(len(candidates)), key=lambda i: (critic_scores[i][0], -i))


def top_candidate(query, candidates, critic_scores):
    """The candidate with the highest critic semantic score (earliest on ties), or `query` if there is none."""
    best = top_candidate_index(candidates, critic_scores)
    return query if best is None else candidates[best]
