"""The dataset card (README.md with YAML metadata and `configs:`), generated from the built data's statistics.

The template ships as package data: `dataset_builder/templates/dataset_card.md`.
"""

import html
from pathlib import Path

from huggingface_hub import DatasetCard, DatasetCardData
from huggingface_hub.utils import validate_repo_id

from .card_yaml import dataset_info_entry
from .noise import CODE_MIX_WORDS
from .noisy_translation import DEFAULT_MIN_COVERAGE as NOISY_MIN_COVERAGE
from .noisy_translation import DEFAULT_THRESHOLD as NOISY_THRESHOLD
from .schema import CORPUS_CONFIG, CORPUS_FEATURES, CORPUS_SPLIT, DEFAULT_CONFIG, LANGUAGE_NAMES, QUERY_FEATURES
from .schema import NOISE_TYPES, QUERY_SPLITS
from .writer import CORPUS_PATH, shard_name

TEMPLATE_PATH = Path(__file__).parent / "templates" / "dataset_card.md"

DATASET_VERSION = "2.3.0"
CHANGELOG = [
    ("2.3.0", "`test_noisy` candidates: the dictionary translator matches spans with the query normalizer's "
              "spelling index (one span matcher for the package; a fuzzy match is one slip from a known text, "
              "where it was any `difflib` ratio >= 0.8) and skips a code-mixed word typed inside a term; 1,231 of "
              "13,094 noisy rows get other candidates (a relevant title among them: 8,003 rows, was 7,685), 173 "
              "get none (was 149); the clean configs, the corpus and the noisy query texts are unchanged"),
    ("2.2.1", "the quality-estimation critic encodes its texts in batches of equal token count (about a quarter "
              "of its token positions had been padding); the float noise of the new batches moved 148 of 987,075 "
              "critic scores by 0.01 (the 2-decimal rounding) and nothing else: same rows, texts, candidates and ids"),
    ("2.2.0", "optional zero-shot languages (`--zero-shot-languages`, e.g. km lo my hi ne si ta): test-only "
              "configs (`test`, `test_noisy`) about the test products, recorded as `zero_shot_languages`; the "
              "seven trained languages' configs and the corpus are unchanged (same rows, order and ids)"),
    ("2.1.0", "`test_noisy` candidates and critic scores are made from the noisy text (a label-free dictionary "
              "translator, `noisy_<method>` sources; empty where nothing matches) instead of copying the clean row's; "
              "train / validation / test unchanged"),
    ("2.0.0", "reference-free default critic (QualityEstimationCritic); `code_mix` inserts uninformative shopping "
              "words, and no noise adds a token of a relevant product's English title"),
    ("1.0.0", "first release (reference-based heuristic critic; `code_mix` inserted the product's English head word)"),
]  # fmt: skip
"""`(version, change)` pairs, newest first; the first is `DATASET_VERSION`."""

CLDR_SUMMARY = (
    "Product retrieval for seven low-resource languages (Vietnamese, Thai, Indonesian, Malay, Filipino, Urdu, "
    "Bengali) built from real human translations: the Unicode CLDR emoji annotations give professionally translated "
    "short names and search keywords aligned to English. Product-like emoji (food and drink, clothing, household "
    "objects, tools, sports goods, devices, vehicles, toys, plants) are the products; their localized names and "
    "keywords are the queries; every query carries English candidate translations with critic scores for LiRA's "
    "Arca anchoring, and a noise-amplified copy of each test query measures robustness."
)
CLDR_METHOD = """\
* **Products**: emoji of the Unicode groups Food & Drink, Objects and Activities (all), the Travel & Places
  transport run (locomotive ... flying saucer) plus 16 product-like travel items (compass, tent, luggage, clocks,
  thermometer, umbrellas), and the plant run of Animals & Nature (bouquet ... end). Faces, people (hence every
  skin-tone and gender variant), animals, symbols and flags are dropped. Category = the Unicode emoji subgroup.
  Titles are the CLDR short names ("tts"), keywords the CLDR keywords ("default"); U+FE0F is stripped before lookup.
* **Real queries**: every localized name and keyword of every product, NFC-normalised, lower-cased, whitespace
  folded and deduplicated per language.
* **Relevance**: exact membership, not substring: a query is relevant to every product whose localized name or
  keyword list equals it; grade 2 when it equals the name, 1 when it equals a keyword.
* **Composed queries** (`composed=True`): to approach the target of {target} queries per language, two real
  terms (name or keyword) of the same product are joined by a space, e.g. a category word and a product word. No word
  is invented, only the pairing is synthetic. A composed query is relevant to every product that has both terms
  (grade 2 where one of them is that product's name). Pairs where one term contains the other, and strings that
  already are real queries, are skipped; one order of every pair is taken before any reverse order."""
CATALOG_METHOD = """* **Products**: the rows of the user's catalog {catalog}.
* **Queries**: {query_origin}
* **Relevance**: as given by the query log (graded), or exact membership of the localized title (2) / keyword (1)."""
CANDIDATES_METHOD = """\
No offline machine translation exists for these languages, so every candidate comes from the aligned
English side of the data. Each query gets up to {k} candidates, shuffled with a per-query seeded RNG:

* `aligned_name`: English name of the query's primary (best-graded) product; an exact human translation for name
  queries, a related product name for keyword queries;
* `aligned_keyword`: the English name or keyword whose set of products best matches (Jaccard) the set of products
  of the localized term; ties (common for keywords of a single product) are broken by character similarity, which
  only helps Latin-script loanwords, then alphabetically, so for single-product keywords it may be a sibling keyword;
* `aligned_parts`: composed queries, the aligned English of each part in the same order;
* noisy: `wrong_sense` (English name of another product that shares the localized term, or a localized term with
  the primary product), `other_product` (same category, when no wrong sense exists), `word_drop` (one word of the
  first good candidate removed), `truncation` (the first good candidate cut mid-word), `en_keyword` (another English
  keyword of the primary product: related, usually not a translation).

The aligned candidates are the human English of the query, so any critic that compares candidates with that
reference rewards the answer by construction. The default critic therefore reads no reference: it sees the query,
its language and one candidate, nothing else (see Critic below; the reference-based critic survives only as the
opt-in `--critic reference`, for studies, never for a headline number)."""
NOISE_METHOD = """One noisy copy of every clean test query (same relevance; `clean_query_id` points at
the clean row; candidates of its own, see below), with one noise type chosen per query by a seeded RNG among those that change the text:
`typo` (swap, delete or duplicate one grapheme cluster), `no_diacritics` (Vietnamese tone and vowel marks and
d-stroke, Thai tone marks, Urdu harakat, Latin accents; not Bengali), `code_mix` (one uninformative English shopping
word, unit or filler word is inserted at a random word boundary, no word removed; the words are {code_mix_words},
less every word that is a token of any product's English title or keywords, so the word never names a product),
`romanized`
({romanizers}). No noise adds the answer: a variant is rejected, and the next noise type tried, when a token it adds
(a token of the noisy text that is not in the clean text) is a token of the English title of one of the query's
relevant products, as typos or romanisation can create an English word by chance; the last resort is a typo that
adds no such token."""
NOISY_CANDIDATES_METHOD = """**Candidates of `test_noisy`.** A real translator reads what the user typed, so a noisy row never reuses the clean
row's candidates or critic scores. They come from a label-free dictionary translator
(`dataset_builder.noisy_translation.LiraNoisyTranslator`) that is given the noisy text and nothing else (no
relevance label, no clean text). Its vocabulary is the language's bilingual dictionary, every localized product
name and keyword of the catalogue with the English the clean path's aligner gives for that term's own set of
products, plus the clean `train` and `validation` queries with their candidates (a translation memory). Test queries
never enter as queries: a composed test query (most test rows) is nowhere in the vocabulary and is translated
span by span; a real test query is a catalogue term, so it is present as that dictionary term (the same knowledge
the clean candidates rest on). The typed text is split into whitespace words and segmented into vocabulary entries
by how a robust MT front end normalises input, strongest first: `noisy_exact` (equal), `noisy_unaccented` (equal
once optional marks are stripped on both sides, the `no_diacritics` rule), `noisy_romanized` (equal to the
romanised form of an entry) and `noisy_fuzzy` (one slip from an entry, a swap of neighbours or a missing, doubled
or extra letter, with `difflib` character ratio >= {threshold} on 4+ letters, for typos). Matching and segmentation
are the query normalizer's own (`modeling_lira.spelling_index.LiraSpellingIndex`): the dataset's translator and the
model's normalizer read a typed span the same way. Words nothing matches, such as a code-mixed English word, stay
untranslated, and are skipped when the words around them then match more (an English word typed inside a term);
when fewer than
{coverage:.0%} of the words are matched the row gets no candidates and no critic scores: candidate mode is not
applicable to it (systems fall back to the query). One span: the entry's candidates (its aligned ones relabelled
`noisy_<method>`, its distractors kept); several spans: the spans' English joined in order and the longest span's
English alone (`noisy_<method>`), plus a `wrong_sense`, `word_drop` and `truncation` as in the clean path, shuffled.
The critic scores them exactly as clean rows, with the noisy text as the source.

*Romanised queries.* The translator romanises every vocabulary entry with the same romaniser the noise uses (Thai
RTGS, Urdu and Bengali anyascii) and looks the typed Latin text up in that index. This models a translator that
also reads romanised input, as Roman-Urdu-aware MT and transliteration front ends (romanised Thai or Bengali to
native script, then translation) do; people do type these languages in Latin letters. It is realistic in kind but
favourable in degree: real romanised spelling varies between writers, while here the typed form is exactly the
romaniser's, so only collisions (Thai tone marks and vowel length, Urdu unwritten vowels) cause wrong look-ups.

Share of `test_noisy` rows with candidates, per noise type (in brackets: rows):

{table}

Match method of the rows with candidates: {sources}."""
SPLIT_METHOD = """Products are shuffled with `random.Random({seed})` and cut {fractions} (train / validation /
test){pinned}. A query belongs to test (validation) when all its relevant products are test (validation)
products, and to train when at least one is a train product, its relevant ids then restricted to train products.
So no product is shared between train and test queries, and generic category queries never reach the test split.
The split is deterministic: the same inputs and seed give byte-identical Parquet files."""
CLDR_LIMITS = """\
* Products are emoji concepts with 1-5 word English names, not real catalogue titles; a few kept items are
  not sold goods (bus stop, motorway, traffic lights, stop sign, fallen leaf, empty nest).
* Test queries are almost all single-answer "find this item" queries (see Splits); category browsing is not tested.
* Many CLDR keywords are attribute or association words rather than product nouns; CLDR's localized keyword lists
  are largely translations of the English ones.
* Filipino (and to a lesser degree Indonesian and Malay) queries often contain English words.
* Composed queries are synthetic pairings of real terms; report metrics on `composed == False` rows as well.
* A test query string can be a train query in another language (shared loanwords).
* The critic is a frozen-encoder quality-estimation signal, not a human or LLM judgement; it reads no reference,
  but the candidates themselves come from CLDR's aligned English (no offline MT exists), so a good one is often
  among them: the leak meter above says how often the critic's top pick is the answer.
* `test_noisy` candidates come from a dictionary translator (see Noisy test variant), not a neural MT system;
  romanisation of Urdu and Bengali is a transliteration table, and the translator reads exactly that table's output."""
CATALOG_LIMITS = """* Quality and licence depend entirely on the catalog and query log supplied.
* The critic is a frozen-encoder quality-estimation signal (no reference), not a human or LLM judgement."""


def _size_category(n):
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < bound:
            return label
    return "1M<n<10M"


def card_metadata(stats, license="other", license_name="unicode-3.0",
                  license_link="https://www.unicode.org/license.txt"):  # fmt: skip
    """The YAML metadata: languages, licence, task categories, `configs` (exactly one default) and `dataset_info`."""
    languages = stats["languages"]
    zero_shot = list(stats.get("zero_shot_languages") or [])
    every = list(languages) + zero_shot
    per = {lang: {split: stats["queries"][lang][split]["rows"] for split in QUERY_SPLITS} for lang in every}
    # A split with no row is left out of its config (an empty Parquet shard cannot be loaded).
    per = {lang: {split: n for split, n in per[lang].items() if n} for lang in every}
    totals = {s: sum(per[l].get(s, 0) for l in languages) for s in QUERY_SPLITS}
    totals = {s: n for s, n in totals.items() if n}
    # `default` holds the trained languages only: with zero-shot configs beside them, it names their folders, in
    # the glob's (sorted) order, so its rows come in the same order as without them
    default_path = ((lambda s: sorted(f"data/{l}/{shard_name(s)}" for l in languages if s in per[l])) if zero_shot
                    else (lambda s: f"data/*/{shard_name(s)}"))  # fmt: skip
    configs = [
        {"config_name": DEFAULT_CONFIG, "default": True,
         "data_files": [{"split": s, "path": default_path(s)} for s in totals]},
    ] + [
        {"config_name": lang, "data_files": [{"split": s, "path": f"data/{lang}/{shard_name(s)}"} for s in per[lang]]}
        for lang in every
    ] + [{"config_name": CORPUS_CONFIG, "data_files": [{"split": CORPUS_SPLIT, "path": CORPUS_PATH}]}]  # fmt: skip
    infos = [dataset_info_entry(DEFAULT_CONFIG, QUERY_FEATURES, totals)]
    infos += [dataset_info_entry(lang, QUERY_FEATURES, per[lang]) for lang in every]
    infos += [dataset_info_entry(CORPUS_CONFIG, CORPUS_FEATURES, {CORPUS_SPLIT: stats["products"]["total"]})]
    total = sum(totals.values()) + sum(sum(per[l].values()) for l in zero_shot)
    extra = {"license_name": license_name, "license_link": license_link} if license == "other" else {}
    if zero_shot:  # read by `lira_utils.dataset.dataset_zero_shot_languages` (lira_build.json stays local)
        extra["zero_shot_languages"] = zero_shot
    return DatasetCardData(
        language=every + ["en"],
        license=license,
        annotations_creators=["expert-generated", "machine-generated"],
        language_creators=["expert-generated"],
        multilinguality=["multilingual"],
        size_categories=[_size_category(total)],
        source_datasets=["original"],
        task_categories=["text-retrieval", "sentence-similarity"],
        task_ids=["document-retrieval"],
        pretty_name=stats["pretty_name"],
        tags=["product-search", "low-resource-languages", "cross-lingual-retrieval", "lira"]
        + (["cldr"] if stats["builder"] == "cldr" else []),
        configs=configs,
        dataset_info=infos,
        **extra,
    )


def _leak_table(stats):
    """The build's leak meter on the test split (`evaluation.leak`), or a note when it was not computed."""
    from evaluation.leak import leak_table

    meter = stats.get("leak_meter")
    if not meter:
        return "(no test rows with candidates)"
    return leak_table(meter)


def noisy_candidates_table(noisy):
    """Markdown table: share of `test_noisy` rows with candidates per language and noise type (rows in brackets).

    Args:
        noisy (`dict`): `stats["noisy_candidates"]`: language -> noise -> `{rows, with_candidates, sources}`.

    Returns:
        `str`
    """
    types = [t for t in NOISE_TYPES if any(t in v for v in noisy.values())]
    lines = ["| language | " + " | ".join(types) + " | all |", "|---|" + "---|" * (len(types) + 1)]
    for lang, per in noisy.items():
        cells = [f"{per[t]['with_candidates'] / per[t]['rows']:.3f} ({per[t]['rows']:,})" if t in per else "-"
                 for t in types]  # fmt: skip
        rows, hits = sum(v["rows"] for v in per.values()), sum(v["with_candidates"] for v in per.values())
        lines.append(f"| {lang} | " + " | ".join(cells) + f" | {hits / max(rows, 1):.3f} ({rows:,}) |")
    return "\n".join(lines)


def _noisy_sources(noisy):
    total = {}
    for per in noisy.values():
        for slot in per.values():
            for source, n in slot["sources"].items():
                total[source] = total.get(source, 0) + n
    return _counts(dict(sorted(total.items())))


def plain(text):
    """User text (a catalogue's category, file name, pretty name) made inert in Markdown: HTML escaped, no table
    pipe, backtick or line break (a category `<b>cat</b>` shows as typed, it does not format the card)."""
    return _cell(text).replace("`", "'")


def _cell(text):
    """Text for one Markdown table cell that may hold `code` spans (a source's name, its licence): HTML escaped, the
    table pipe escaped, on one line."""
    return _inline(text).replace("|", "\\|")


def _inline(text):
    """Text for a paragraph that may carry user input (the query-log file name, an LLM critic's model id and
    prompt): HTML escaped and on one line; Markdown code spans are kept."""
    return " ".join(html.escape(str(text), quote=False).split())


def _counts(mapping):
    return ", ".join(f"{plain(k)} {v:,}" for k, v in mapping.items()) or "none"


def _noisy_candidates_method(stats):
    if stats.get("noisy_candidates_mode", "translate") == "none":
        return ("**Candidates of `test_noisy`.** This build was made with `noisy_candidates='none'`: noisy rows carry "
                "no candidates and no critic scores (candidate mode is not applicable to them); they never reuse "
                "the clean row's.")  # fmt: skip
    return NOISY_CANDIDATES_METHOD.format(threshold=NOISY_THRESHOLD, coverage=NOISY_MIN_COVERAGE,
                                          table=noisy_candidates_table(stats.get("noisy_candidates", {})),
                                          sources=_noisy_sources(stats.get("noisy_candidates", {})))


ZERO_SHOT_METHOD = """## Zero-shot languages

{languages} are **zero-shot** languages: test only, never trained. Each has a config with `test` and
`test_noisy` and no `train` or `validation` split, and `default` leaves them out (it holds the trained languages).
Their queries are built exactly as the trained languages' (the same real and composed query composition from the
CLDR names and keywords of every product, the same K={k} candidates and critic scores, so candidate mode works there
too) and kept only when all their relevant products are test products: they are about the {test_products} test
products only. The trained languages' configs and the corpus are the same, row for row, as
in a build without them.

| language | test products named | queries built | test rows (real) | left out (not about test products only) |
|---|---|---|---|---|
{table}

Language-specific parts fall back for them: no `no_diacritics` noise (the Latin / Thai / Urdu rules do not apply;
stripping every combining mark would remove vowel signs and viramas, as for Bengali), no `romanized` noise and no
romanised look-up in the noisy translator (no romaniser; its `unaccented` match is then equality), so `test_noisy`
has `typo` and `code_mix` only; the corpus `titles` struct keeps the seven trained languages (schema unchanged, the
zero-shot names are in the queries); the language name in this card is the code where none is known. A LiRA model
knows no language id for them: `python -m evaluation` passes their queries with the language unknown (the model's
language-id head supplies the soft language embedding)."""


def zero_shot_section(stats):
    """The card's "Zero-shot languages" section, or `""` for a build without them."""
    zero_shot = list(stats.get("zero_shot_languages") or [])
    if not zero_shot:
        return ""
    q, info = stats["queries"], stats.get("zero_shot", {})
    rows = []
    for lang in zero_shot:
        z = info.get(lang, {})
        test = q[lang]["test"]
        rows.append(f"| {lang} ({LANGUAGE_NAMES.get(lang, lang)}) | {z.get('test_products_named', '?')} / "
                    f"{z.get('test_products', '?')} | {z.get('queries_built', 0):,} | {test['rows']:,} "
                    f"({test['rows'] - test['composed']:,}) | {z.get('left_out_not_test', 0):,} |")
    names = ", ".join(f"{LANGUAGE_NAMES.get(l, l)} (`{l}`)" for l in zero_shot)
    tests = sorted({z.get("test_products") for z in info.values()} - {None})
    return ZERO_SHOT_METHOD.format(languages=names, k=stats["num_candidates"], table="\n".join(rows),
                                   test_products=", ".join(map(str, tests)) or "?")


def make_card(stats, repo_id="org/lira-products", **license_kwargs):
    """The `huggingface_hub.DatasetCard` of a build.

    Args:
        stats (`dict`): the build statistics (`lira_build.json`).
        repo_id (`str`, *optional*, defaults to `"org/lira-products"`): repository shown in the usage snippet.
        **license_kwargs: `license`, `license_name`, `license_link` of the YAML metadata.

    Returns:
        `huggingface_hub.DatasetCard`

    Raises:
        `ValueError`: `repo_id` is not a Hub repository id (it goes into the card's code snippet as is).

    Every user-given text (catalog and query-log file names, categories, pretty name, licence, the critic's
    description) is HTML escaped and kept on one line, table pipes escaped, so it shows as typed and cannot format
    the card.
    """
    validate_repo_id(repo_id)
    languages, q = stats["languages"], stats["queries"]
    zero_shot = list(stats.get("zero_shot_languages") or [])
    header = "| language | " + " | ".join(QUERY_SPLITS) + " | total |\n|---|" + "---|" * (len(QUERY_SPLITS) + 1)
    lines = [header]
    for lang in languages:
        cells = [f"{q[lang][s]['rows']:,} ({q[lang][s]['rows'] - q[lang][s]['composed']:,} real)" for s in QUERY_SPLITS]
        total = sum(q[lang][s]["rows"] for s in QUERY_SPLITS)
        lines.append(f"| {lang} ({LANGUAGE_NAMES[lang]}) | " + " | ".join(cells) + f" | {total:,} |")
    for lang in zero_shot:
        cells = [f"{q[lang][s]['rows']:,} ({q[lang][s]['rows'] - q[lang][s]['composed']:,} real)" if q[lang][s]["rows"]
                 else "-" for s in QUERY_SPLITS]  # fmt: skip
        total = sum(q[lang][s]["rows"] for s in QUERY_SPLITS)
        lines.append(f"| {lang} ({LANGUAGE_NAMES.get(lang, lang)}, zero-shot) | " + " | ".join(cells)
                     + f" | {total:,} |")
    present = {l: [s for s in QUERY_SPLITS if q[l][s]["rows"]] for l in languages}
    all_present = [s for s in QUERY_SPLITS if any(s in present[l] for l in languages)]
    grand_total = sum(q[l][s]["rows"] for l in languages for s in QUERY_SPLITS)
    config_rows = [f"| `default` (default) | {', '.join(all_present)} | {grand_total:,} (all languages) |"]
    config_rows += [f"| `{l}` | {', '.join(present[l])} | {sum(q[l][s]['rows'] for s in QUERY_SPLITS):,} |"
                    for l in languages]  # fmt: skip
    config_rows += [f"| `{l}` (zero-shot) | {', '.join(s for s in QUERY_SPLITS if q[l][s]['rows'])} | "
                    f"{sum(q[l][s]['rows'] for s in QUERY_SPLITS):,} |" for l in zero_shot]  # fmt: skip
    config_rows.append(f"| `corpus` | corpus | {stats['products']['total']:,} products |")
    sources = "\n".join("| " + " | ".join(_cell(s[k]) for k in ("name", "version", "license", "use")) + " |"
                        for s in stats["sources"])  # fmt: skip
    cldr = stats["builder"] == "cldr"
    method = CLDR_METHOD.format(target=f"{stats['max_queries_per_language']:,}") if cldr else CATALOG_METHOD.format(
        catalog=plain(stats.get("catalog", "?")), query_origin=_inline(stats.get("query_origin", "")))
    fractions = " / ".join(f"{stats['split_fractions'][s]:g}" for s in ("train", "validation", "test"))
    pinned = " (products with a `split` in the catalog keep it)" if not cldr else ""
    romanizers = "; ".join(f"{lang}: {desc}" for lang, desc in stats["romanizers"].items()) or "none installed"
    return DatasetCard.from_template(
        card_metadata(stats, **license_kwargs),
        template_path=str(TEMPLATE_PATH),
        pretty_name=plain(stats["pretty_name"]),
        summary=CLDR_SUMMARY if cldr else f"Product retrieval dataset built from the catalog {plain(stats.get('catalog'))}.",
        repo_id=repo_id,
        seed=stats["seed"],
        num_candidates=stats["num_candidates"],
        config_table="\n".join(config_rows),
        count_table="\n".join(lines),
        real_counts=_counts(stats["real_queries"]),
        dropped_counts=_counts(stats["dropped_cross_split"]),
        product_counts=_counts(stats["products"]),
        num_categories=len(stats["categories"]),
        category_counts=_counts(stats["categories"]),
        source_table=sources,
        method=method,
        candidates_method=CANDIDATES_METHOD.format(k=stats["num_candidates"]),
        candidate_source_counts=_counts(stats["candidate_sources"]),
        critic_description=_inline(stats["critic"]["description"]),
        leak_table=_leak_table(stats),
        reads_reference="yes (a leaking, study-only build)" if stats["critic"].get("reads_reference") else "no",
        noise_method=NOISE_METHOD.format(romanizers=romanizers, code_mix_words=", ".join(CODE_MIX_WORDS)),
        version=DATASET_VERSION,
        changelog="\n".join(f"* {version}: {change}" for version, change in CHANGELOG),
        noisy_candidates_method=_noisy_candidates_method(stats),
        noise_counts="; ".join(f"{lang}: {_counts(c)}" for lang, c in stats["noise"].items()),
        split_method=SPLIT_METHOD.format(seed=stats["seed"], fractions=fractions, pinned=pinned),
        limits=CLDR_LIMITS if cldr else CATALOG_LIMITS,
        zero_shot_section=zero_shot_section(stats),
    )
