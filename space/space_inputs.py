"""What the demo accepts: one query, a language (or "auto"), and at most K English candidate translations.

`parse_query` turns the raw form values into a `LiraSpaceQuery` or raises `LiraSpaceInputError` (a `ValueError`)
whose message names the bad value and the fix; the app shows that message in the page instead of a traceback.
"""

from dataclasses import dataclass, field

from dataset_builder.schema import LANGUAGE_NAMES

AUTO_LANGUAGE = "auto"
MAX_QUERY_CHARS = 300  # product queries are short; the model reads at most 128 tokens anyway
MAX_CANDIDATE_CHARS = 200

class LiraSpaceInputError(ValueError):
    """Bad input from the form; `str(error)` is the message shown in the page."""


@dataclass
class LiraSpaceQuery:
    """A validated demo query.

    Args:
        text (`str`): the query, stripped, non-empty.
        language (`str` or `None`): a language code of the model, or `None` to let the language-ID head decide.
        candidates (`list[str]`): English candidate translations (0 to K, non-empty, stripped).
    """

    text: str
    language: str = None
    candidates: list = field(default_factory=list)


def language_label(code):
    """`"Thai (th)"` for `"th"`; the code itself when it has no known name."""
    return f"{LANGUAGE_NAMES[code]} ({code})" if code in LANGUAGE_NAMES else str(code)


def split_candidates(candidates_text):
    """One candidate per non-blank line of `candidates_text` (a list is accepted as is), stripped."""
    if candidates_text is None:
        return []
    lines = candidates_text if isinstance(candidates_text, (list, tuple)) else str(candidates_text).splitlines()
    return [str(line).strip() for line in lines if str(line).strip()]


def parse_query(text, language, candidates_text, languages, max_candidates, max_chars=MAX_QUERY_CHARS,
                max_candidate_chars=MAX_CANDIDATE_CHARS):
    """Validates the form values of one search.

    Args:
        text (`str`): the query as typed.
        language (`str`): `"auto"` (or empty) for the language-ID head, else one of `languages`.
        candidates_text (`str` or `list[str]`): English candidates, one per line; blank lines are ignored.
        languages (`list[str]`): language codes the demo accepts (the model's low-resource languages).
        max_candidates (`int`): K, the most candidates the model takes (`config.num_candidates`).
        max_chars (`int`, *optional*, defaults to 300): longest accepted query, in characters.
        max_candidate_chars (`int`, *optional*, defaults to 200): longest accepted candidate, in characters.

    Returns:
        [`LiraSpaceQuery`]

    Raises:
        [`LiraSpaceInputError`]: empty or too long query, unknown language, too many or too long candidates.
    """
    if not isinstance(text, str) or not text.strip():
        raise LiraSpaceInputError("The query is empty: type a product query in one of "
                                  f"{', '.join(language_label(c) for c in languages)}, or pick an example below.")
    text = " ".join(text.split())
    if len(text) > max_chars:
        raise LiraSpaceInputError(f"The query is {len(text):,} characters long; the demo takes at most {max_chars} "
                                  "(product queries are short, and the model reads only the first 128 tokens). "
                                  "Shorten it.")
    code = str(language or AUTO_LANGUAGE).strip()
    if code == AUTO_LANGUAGE:
        code = None
    elif code not in languages:
        raise LiraSpaceInputError(f"Language {code!r} is not one the model knows; pick one of "
                                  f"{', '.join(languages)} or '{AUTO_LANGUAGE}' to let the language-ID head decide.")
    candidates = split_candidates(candidates_text)
    if len(candidates) > max_candidates:
        raise LiraSpaceInputError(f"{len(candidates)} candidate translations were given, but the model takes at most "
                                  f"K = {max_candidates}; remove {len(candidates) - max_candidates} line(s).")
    for i, cand in enumerate(candidates, 1):
        if len(cand) > max_candidate_chars:
            raise LiraSpaceInputError(f"Candidate {i} is {len(cand):,} characters long; keep each candidate under "
                                      f"{max_candidate_chars} characters (one short English translation per line).")
    return LiraSpaceQuery(text=text, language=code, candidates=candidates)
