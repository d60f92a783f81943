"""Out-of-domain clean text: CLDR locale data in the seven languages, paired with English, as a retrieval set.

No product, no query: the names of territories, languages, scripts, currencies, units, months and days that CLDR
(through `babel`, BSD-3 with Unicode data) gives in each language, each paired with its English name. Every name is
clean text as a native speaker writes it and lies outside the shop's domain, so it asks two questions the products
split cannot: does the query normalizer leave clean text it does not know as typed, and how much cross-lingual
retrieval a model keeps outside the domain it was trained on. Queries are the local names; the corpus is every
English name (one corpus for all languages); a local name shared by several items is one query with all of them
relevant.

Vetted against the evaluation: a local name that equals (folded) any product title or keyword, or any query, of the
dataset in that language (every split) is left out, and so is an item whose English name equals an English product
title; `build_locale_benchmark` reports how many.
"""

from modeling_lira.query_normalizer import fold

SOURCE = "CLDR via babel (territories, languages, scripts, currencies, units, months, days)"
KINDS = ("territory", "language", "script", "currency", "unit", "month", "day")


def locale_names(language):
    """`{item id: name}` of one locale, ids shared across locales (e.g. `"territory:TH"`, `"unit:length-meter"`).

    Args:
        language (`str`): a CLDR locale, e.g. `"th"`, `"fil"`, `"en"`.
    """
    from babel import Locale
    from babel.core import UnknownLocaleError

    try:
        loc = Locale.parse(language)
    except (UnknownLocaleError, ValueError) as err:
        raise ValueError(f"CLDR has no locale {language!r} ({err}); use a code such as 'th' or 'fil'.") from None
    out = {}
    for kind, names in (("territory", loc.territories), ("language", loc.languages), ("script", loc.scripts),
                        ("currency", loc.currencies)):
        out.update({f"{kind}:{code}": name for code, name in names.items()})
    for unit, forms in loc._data["unit_display_names"].items():
        name = forms.get("long")
        if isinstance(name, str):
            out[f"unit:{unit}"] = name
    for kind, table in (("month", loc.months), ("day", loc.days)):
        out.update({f"{kind}:{k}": name for k, name in table["format"]["wide"].items()})
    return {key: name.strip() for key, name in out.items() if isinstance(name, str) and name.strip()}


def dataset_texts(dataset, language):
    """Folded texts of the dataset in `language`: product titles and keywords, and every split's queries."""
    from lira_utils.dataset import dataset_configs, load_corpus, load_queries

    texts = set()
    for product in load_corpus(dataset):
        for field in (f"title_{language}", f"keywords_{language}"):
            value = product.get(field)
            texts.update(fold(v) for v in ([value] if isinstance(value, str) else value or []))
    if language in dataset_configs(dataset):
        from datasets import get_dataset_split_names

        for split in get_dataset_split_names(dataset, language):
            texts.update(fold(r["query"]) for r in load_queries(dataset, language, split))
    english = {fold(p["title_en"]) for p in load_corpus(dataset)}
    return texts, english


def build_locale_benchmark(languages, dataset=None):
    """Query rows per language and the English corpus (the `lira-products` row schema).

    Args:
        languages (`list[str]`): query languages.
        dataset (`str`, *optional*): a `lira-products` folder whose texts are left out (see the module docstring).

    Returns:
        `(rows_by_lang, corpus, dropped)`: query rows, products (`product_id` = item id, `title_en`), and per language
        how many names were left out as overlapping the dataset.
    """
    english = locale_names("en")
    product_english = dataset_texts(dataset, languages[0])[1] if dataset else set()
    english = {k: v for k, v in english.items() if fold(v) not in product_english}
    corpus = [{"product_id": key, "title_en": name, "keywords_en": []} for key, name in sorted(english.items())]
    rows_by_lang, dropped = {}, {}
    for lang in languages:
        seen = dataset_texts(dataset, lang)[0] if dataset else set()
        groups, dropped[lang] = {}, 0
        for key, name in sorted(locale_names(lang).items()):
            if key not in english or fold(name) == fold(english[key]):
                continue  # no English side, or the same text in both (nothing cross-lingual to find)
            if fold(name) in seen:
                dropped[lang] += 1
                continue
            groups.setdefault(name, []).append(key)
        rows_by_lang[lang] = [
            {"query_id": f"locale-{lang}-{i}", "language": lang, "query": text, "relevant_ids": keys,
             "relevance": [1] * len(keys), "candidates": [], "critic_scores": []}
            for i, (text, keys) in enumerate(groups.items())]
    return rows_by_lang, corpus, dropped


__all__ = ["SOURCE", "KINDS", "locale_names", "build_locale_benchmark", "dataset_texts"]
