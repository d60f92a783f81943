"""Sentence-similarity widget examples in the seven LiRA languages, taken from Unicode CLDR emoji short names.

Every string is a real CLDR ``tts`` (text-to-speech short name) from the npm package ``cldr-annotations-full``: the
source sentence is a product name in a low-resource language, the candidate sentences are English product names
(the right one plus two distractors of the same category). Nothing is made up or machine translated.

The strings are frozen in ``model_card/widget_examples.json`` (package data) so that a card renders without
the npm folder; :func:`extract_widget_examples` rebuilds that file from CLDR and a test checks both agree.

Example::

    >>> from model_card.widget import load_widget_examples
    >>> load_widget_examples()[0]["example_title"]
    'Vietnamese → English'
"""

import json
import os

from lira_utils.atomic import atomic_write_json

CLDR_PACKAGE = "cldr-annotations-full"
WIDGET_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "widget_examples.json")
LANGUAGE_NAMES = {
    "vi": "Vietnamese", "th": "Thai", "id": "Indonesian", "ms": "Malay", "fil": "Filipino", "ur": "Urdu",
    "bn": "Bengali", "en": "English",
}
LANGUAGES = ("vi", "th", "id", "ms", "fil", "ur", "bn")

# (language, query emoji, [right answer first, then two distractors]); the right answer's position in the
# widget rotates so that it is not always first.
WIDGET_SPEC = (
    ("vi", "👟", ["👟", "👠", "🧦"]),
    ("th", "👜", ["👜", "👛", "🎒"]),
    ("id", "⌚", ["⌚", "📱", "🧤"]),
    ("ms", "🧴", ["🧴", "🪥", "💄"]),
    ("fil", "🧦", ["🧦", "🧤", "🥾"]),
    ("ur", "☂", ["☂", "🕶", "👒"]),
    ("bn", "🎸", ["🎸", "🎧", "⚽"]),
)


def default_npm_dir():
    """Folder that holds ``node_modules`` (``$LIRA_NPM_DIR``, else ``<repo>/.cache``), as in docs/interfaces.md."""
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.environ.get("LIRA_NPM_DIR", os.path.join(repo_root, ".cache"))


def _cldr_short_names(npm_dir, language):
    path = os.path.join(npm_dir, "node_modules", CLDR_PACKAGE, "annotations", language, "annotations.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"CLDR annotations for {language!r} not found at {path}; install them with "
            f"`npm install --prefix {npm_dir} {CLDR_PACKAGE}@48.2.0` or set LIRA_NPM_DIR."
        )
    with open(path, encoding="utf-8") as f:
        annotations = json.load(f)["annotations"]["annotations"]
    return {emoji: entry["tts"][0] for emoji, entry in annotations.items() if entry.get("tts")}


def extract_widget_examples(npm_dir=None):
    """Builds the widget examples from the CLDR npm package.

    Args:
        npm_dir (`str`, *optional*):
            Folder holding ``node_modules/cldr-annotations-full``. Defaults to [`default_npm_dir`].

    Returns:
        `list[dict]`: one ``{"source_sentence", "sentences", "example_title"}`` dict per language (the Hub's
        sentence-similarity widget format), in the order vi th id ms fil ur bn.
    """
    npm_dir = npm_dir or default_npm_dir()
    english = _cldr_short_names(npm_dir, "en")
    examples = []
    for position, (language, query, candidates) in enumerate(WIDGET_SPEC):
        names = _cldr_short_names(npm_dir, language)
        order = candidates[1:]
        order.insert(position % len(candidates), candidates[0])
        examples.append({
            "source_sentence": names[query],
            "sentences": [english[emoji] for emoji in order],
            "example_title": f"{LANGUAGE_NAMES[language]} → English",
        })
    return examples


def cldr_version(npm_dir=None):
    """Version string of the installed ``cldr-annotations-full`` package, or ``None`` when absent."""
    path = os.path.join(npm_dir or default_npm_dir(), "node_modules", CLDR_PACKAGE, "package.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f).get("version")


def write_widget_json(npm_dir=None, path=WIDGET_JSON):
    """Regenerates the frozen ``widget_examples.json`` from CLDR (atomic write). Returns the path."""
    examples = extract_widget_examples(npm_dir)
    payload = {
        "source": f"{CLDR_PACKAGE}@{cldr_version(npm_dir)} (Unicode CLDR emoji short names, Unicode-3.0 license)",
        "examples": examples,
        # index of the right English name in each example's `sentences` (kept out of the widget YAML itself)
        "answers": [position % len(spec[2]) for position, spec in enumerate(WIDGET_SPEC)],
    }
    return atomic_write_json(path, payload)


def load_widget_examples():
    """The frozen widget examples (package data), in the Hub's sentence-similarity widget format."""
    with open(WIDGET_JSON, encoding="utf-8") as f:
        return json.load(f)["examples"]


def usage_examples(languages=("vi", "th", "bn")):
    """``(queries, products)`` for card snippets: CLDR names in ``languages``, then the English names to find
    (in the same order) plus one distractor.

    Example::

        >>> usage_examples(("vi", "th"))
        (['giày chạy', 'กระเป๋าถือ'], ['running shoe', 'handbag', 'high-heeled shoe'])
    """
    with open(WIDGET_JSON, encoding="utf-8") as f:
        payload = json.load(f)
    by_language = {spec[0]: (ex, answer) for spec, ex, answer in
                   zip(WIDGET_SPEC, payload["examples"], payload["answers"], strict=True)}
    unknown = [language for language in languages if language not in by_language]
    if unknown:
        raise ValueError(f"no widget example for {unknown}; choose from {list(by_language)}.")
    queries = [by_language[language][0]["source_sentence"] for language in languages]
    products = [by_language[language][0]["sentences"][by_language[language][1]] for language in languages]
    first, answer = by_language[languages[0]]
    products.append(next(s for i, s in enumerate(first["sentences"]) if i != answer))
    return queries, products

if __name__ == "__main__":
    print(write_widget_json())
