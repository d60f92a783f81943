"""Unlabelled parallel text for training and two out-of-domain (OOD) retrieval checks, from CLDR, with no leak
into the `lira-products` evaluation.

* Parallel (split `train`): CLDR emoji outside the products, as local short name (and local keywords) -> the English
  item; anchors the seven languages to English beyond the shop.
* OOD emoji (split `test`): the local short names of the other emoji groups -> their English items.
* OOD locale (split `test`): `evaluation.cldr_locale` (territories, languages, scripts, currencies, units, ...).

Emoji variants (skin tones, U+FE0F, gendered ZWJ forms, man / woman / person) share one group key; groups, not
emoji, go to one side by a stable hash (flags always to the OOD side: their names are territory names). Leak rules
(`_key`: `fold` + casefold): a parallel or OOD text equal to any product text (titles and keywords in every
language, English title and keywords, whatever the split) or any dataset query is dropped, and so is a parallel text
equal to any OOD text. Writing the folders: `dataset_builder.anchor_writer`.
"""

import hashlib
import os

from evaluation.cldr_locale import build_locale_benchmark, locale_names
from modeling_lira.query_normalizer import fold

from .products import _clean_terms
from .schema import CORPUS_CONFIG, CORPUS_SPLIT, LANGUAGES, check_languages
from .sources import VARIATION_SELECTOR, ensure_sources, load_annotations, load_emoji_groups

ZWJ = "\u200d"
GENDER_SIGNS = ("\u2640", "\u2642")
PERSONS = ("\U0001f468", "\U0001f469", "\U0001f9d1")  # man, woman, person -> person
PARALLEL_CATEGORY = "parallel"
MAX_KEYWORDS = 4  # local keywords joined into the second parallel row of an emoji


def _key(text):
    """The comparison key of every leak rule: `fold` (NFC, lower, spaces) and casefold."""
    return fold(text).casefold()


def group_key(emoji):
    """One key for an emoji and its variants: U+FE0F, skin tones U+1F3FB..U+1F3FF and ZWJ + gender sign removed,
    man / woman / person read as person (`"woman cook: medium skin tone"` and `"cook"` share a key)."""
    s = "".join(c for c in emoji if c != VARIATION_SELECTOR and not 0x1F3FB <= ord(c) <= 0x1F3FF)
    for sign in GENDER_SIGNS:
        s = s.replace(ZWJ + sign, "").replace(sign + ZWJ, "") if len(s) > 1 else s
    return "".join(PERSONS[2] if c in PERSONS else c for c in s)


def is_flag(emoji):
    """Regional-indicator pairs (country flags) and tag sequences (subdivision flags such as England)."""
    return any(0x1F1E6 <= ord(c) <= 0x1F1FF or 0xE0020 <= ord(c) <= 0xE007F for c in emoji)


def is_ood_group(key, ood_fraction):
    """Whether the group `key` goes to the OOD side: sha256 of the key as a number in [0, 1) below the fraction."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:15], 16) / 16**15 < ood_fraction


def _hex(emoji):
    return "-".join(f"{ord(c):x}" for c in emoji)


def _query_row(query_id, lang, text, ids, category, candidates=()):
    return {"query_id": query_id, "language": lang, "query": text, "relevant_ids": list(ids),
            "relevance": [1] * len(ids), "category": category, "composed": False, "candidates": list(candidates),
            "candidate_sources": ["parallel"] * len(candidates), "critic_scores": [[10.0] * 3 for _ in candidates],
            "noise": "none", "clean_query_id": query_id}  # fmt: skip


def _corpus_row(pid, title_en, keywords_en, category, titles, split, emoji="", group=""):
    return {"product_id": pid, "title_en": title_en, "keywords_en": list(keywords_en), "category": category,
            "titles": {lang: titles.get(lang, "") for lang in LANGUAGES}, "split": split, "emoji": emoji,
            "group": group}  # fmt: skip


def build_product_texts(dataset, modules):
    """Everything the evaluation dataset says, as comparison keys, and its products' emoji.

    Args:
        dataset (`str`): a `lira-products` folder.
        modules (`str`): the npm `node_modules` folder (the products' local keywords are read from CLDR).

    Returns:
        `(texts, emoji)`: `set[str]` of keys (every product's titles and keywords in English and all 7 languages,
        every query of every config and split) and `set[str]` of product emoji without U+FE0F.

    Raises:
        `ValueError`: `dataset` is not a built `lira-products` folder.
    """
    if not os.path.isfile(os.path.join(str(dataset), "corpus", "corpus-00000-of-00001.parquet")):
        raise ValueError(f"dataset folder {str(dataset)!r} is not a built lira-products folder (no corpus Parquet); "
                         "build it with `python -m dataset_builder build --out artifacts/lira-products` or pass "
                         "--dataset <folder>.")  # fmt: skip
    from datasets import get_dataset_split_names

    from lira_utils.dataset import dataset_configs
    from lira_utils.dataset import read_split

    corpus = read_split(str(dataset), CORPUS_CONFIG, CORPUS_SPLIT)  # 599 rows
    emoji = {p["emoji"].replace(VARIATION_SELECTOR, "") for p in corpus}
    texts = [t for p in corpus for t in (p["title_en"], *p["keywords_en"], *p["titles"].values())]
    for lang in ("en", *LANGUAGES):
        notes = load_annotations(modules, lang)
        texts += [t for e in emoji for t in (*notes.get(e, {}).get("tts", []), *notes.get(e, {}).get("default", []))]
    for config in dataset_configs(str(dataset)):
        if config not in (CORPUS_CONFIG, "default"):
            for split in get_dataset_split_names(str(dataset), config):
                texts += [r["query"] for r in read_split(str(dataset), config, split)]  # ~12k per language
    return {_key(t) for t in texts if t}, emoji


def build_emoji_items(modules, languages, product_emoji, ood_fraction):
    """The CLDR emoji outside the products' groups, with names, assigned to a side by group.

    Returns:
        `(items, counts)`: items `{"emoji", "key", "group", "side" ("parallel" / "ood"), "flag", "title_en",
        "keywords_en", "names": {lang: name}, "keywords": {lang: [kw]}}` in code point order, and counts of the
        skipped emoji (`in_product_groups`, `no_english`) and of groups per side.
    """
    slug_of = {}
    for group in load_emoji_groups(modules):
        for entry in group["emojis"]:
            slug_of.setdefault(group_key(entry["emoji"]), group["slug"])
    product_keys = {group_key(e) for e in product_emoji}
    english = load_annotations(modules, "en")
    local = {lang: load_annotations(modules, lang) for lang in languages}
    items, counts, sides = [], {"in_product_groups": 0, "no_english": 0}, {}
    for emoji in sorted(english):  # ~4.3k keys, of which ~3.7k emoji (the rest: punctuation and symbols)
        key = group_key(emoji)
        if key not in slug_of:
            continue  # not an emoji (no group in unicode-emoji-json)
        if emoji in product_emoji or key in product_keys:
            counts["in_product_groups"] += 1
            continue
        title = _clean_terms(english[emoji].get("tts", []))
        if not title:
            counts["no_english"] += 1
            continue
        flag = is_flag(emoji)
        side = "ood" if flag or is_ood_group(key, ood_fraction) else "parallel"
        sides[key] = side
        notes = {lang: local[lang].get(emoji, {}) for lang in languages}
        items.append({"emoji": emoji, "key": key, "group": slug_of[key], "side": side, "flag": flag,
                      "title_en": title[0], "keywords_en": _clean_terms(english[emoji].get("default", [])),
                      "names": {l: n[0] for l, v in notes.items() if (n := _clean_terms(v.get("tts", [])))},
                      "keywords": {l: _clean_terms(v.get("default", [])) for l, v in notes.items()}})  # fmt: skip
    counts["groups"] = {s: sum(v == s for v in sides.values()) for s in ("parallel", "ood")}
    counts["flags"] = sum(i["flag"] for i in items)
    return items, counts


def _grouped_queries(prefix, lang, pairs, forbidden, english_of, dropped):
    """(local name, item id) pairs -> one test query per distinct name with all its items relevant."""
    by_text = {}
    for text, item in pairs:
        if _key(text) == _key(english_of[item]):
            dropped["same_as_english"] = dropped.get("same_as_english", 0) + 1
        elif _key(text) in forbidden:
            dropped["query_in_products"] = dropped.get("query_in_products", 0) + 1
        else:
            by_text.setdefault(text, []).append(item)
    return [_query_row(f"{prefix}-{lang}-{i}", lang, text, sorted(set(ids)), prefix)
            for i, (text, ids) in enumerate(sorted(by_text.items()))]


def _clean(titles, forbidden):
    """Local titles of an OOD item, those equal to a product text or query left empty."""
    return {lang: name for lang, name in titles.items() if name and _key(name) not in forbidden}


def build_ood_emoji(items, languages, forbidden):
    """OOD emoji set: `(rows_by_lang, corpus, dropped)`; items whose English equals a product text are left out."""
    kept = [i for i in items if i["side"] == "ood" and _key(i["title_en"]) not in forbidden]
    dropped = {"items": {"english_in_products": sum(i["side"] == "ood" for i in items) - len(kept)}}
    corpus = [_corpus_row(f"emoji-{_hex(i['emoji'])}", i["title_en"], [], "ood-emoji", _clean(i["names"], forbidden),
                          "test", i["emoji"], i["group"]) for i in kept]  # fmt: skip
    english_of = {c["product_id"]: c["title_en"] for c in corpus}
    rows = {}
    for lang in languages:
        pairs = [(i["names"][lang], c["product_id"]) for i, c in zip(kept, corpus) if lang in i["names"]]
        dropped[lang] = {"no_local_name": len(kept) - len(pairs)}
        rows[lang] = _grouped_queries("ood-emoji", lang, pairs, forbidden, english_of, dropped[lang])
    return rows, corpus, dropped


def build_ood_locale(languages, forbidden):
    """OOD locale set (`evaluation.cldr_locale.build_locale_benchmark`) in the full row schema, vetted against
    `forbidden`: `(rows_by_lang, corpus, dropped)`."""
    raw_rows, raw_corpus, _ = build_locale_benchmark(list(languages))  # ~1.7k English items, ~1.5k names per lang
    local = {lang: locale_names(lang) for lang in languages}
    english_of = {c["product_id"]: c["title_en"] for c in raw_corpus if _key(c["title_en"]) not in forbidden}
    dropped = {"items": {"english_in_products": len(raw_corpus) - len(english_of)}}
    corpus = [_corpus_row(pid, name, [], pid.split(":")[0], _clean({l: local[l].get(pid, "") for l in languages},
                                                                  forbidden), "test", group="locale")
              for pid, name in english_of.items()]  # fmt: skip
    rows = {}
    for lang in languages:
        pairs = [(r["query"], pid) for r in raw_rows[lang] for pid in r["relevant_ids"] if pid in english_of]
        dropped[lang] = {}
        rows[lang] = _grouped_queries("ood-locale", lang, pairs, forbidden, english_of, dropped[lang])
    return rows, corpus, dropped


def _ood_texts(*sets):
    """Keys of every text of the OOD sets: queries, English items and their local titles."""
    out = set()
    for rows, corpus, _ in sets:
        out.update(_key(r["query"]) for lang_rows in rows.values() for r in lang_rows)
        out.update(_key(t) for c in corpus for t in (c["title_en"], *c["titles"].values()) if t)
    return out


def _why(text, products, ood):
    return "in_products" if _key(text) in products else "in_ood" if _key(text) in ood else None


def build_parallel(items, languages, products, ood):
    """Parallel set: `(rows_by_lang, corpus, dropped)`, every text checked against `products` and `ood` keys."""
    rows, corpus, dropped = {lang: [] for lang in languages}, [], {"items": {}, "english_keywords": {}}
    for lang in languages:
        dropped[lang] = {}
    for item in (i for i in items if i["side"] == "parallel"):
        if why := _why(item["title_en"], products, ood):
            dropped["items"][f"english_{why}"] = dropped["items"].get(f"english_{why}", 0) + 1
            continue
        pid, titles, keep, has_rows = f"par-{_hex(item['emoji'])}", {}, [], False
        for kw in item["keywords_en"]:
            if why := _why(kw, products, ood):
                dropped["english_keywords"][why] = dropped["english_keywords"].get(why, 0) + 1
            else:
                keep.append(kw)
        for lang in languages:
            name, counts = item["names"].get(lang), dropped[lang]
            if not name:
                counts["no_local_name"] = counts.get("no_local_name", 0) + 1
                continue
            if why := _why(name, products, ood):
                counts[f"name_{why}"] = counts.get(f"name_{why}", 0) + 1
            else:
                titles[lang] = name
                rows[lang].append(_query_row(f"{pid}-{lang}-name", lang, name, [pid], PARALLEL_CATEGORY,
                                             [item["title_en"]]))  # fmt: skip
            words = [k for k in item["keywords"][lang] if _key(k) != _key(name) and not _why(k, products, ood)]
            text = " ".join(words[:MAX_KEYWORDS])  # the first 4 local keywords that are themselves clean
            why = "same_as_name" if not text or _key(text) == _key(name) else _why(text, products, ood)
            if why:
                counts[f"keywords_{why}"] = counts.get(f"keywords_{why}", 0) + 1
            else:
                has_rows = True
                rows[lang].append(_query_row(f"{pid}-{lang}-keywords", lang, text, [pid], PARALLEL_CATEGORY,
                                             [item["title_en"]]))  # fmt: skip
        if titles or has_rows:
            corpus.append(_corpus_row(pid, item["title_en"], keep, PARALLEL_CATEGORY, titles, "train", item["emoji"],
                                      item["group"]))  # fmt: skip
    return rows, corpus, dropped


def build_anchor_tables(dataset, languages=None, ood_fraction=0.5, npm_dir=None):
    """The three sets in memory (no writing).

    Args:
        dataset (`str`): the `lira-products` folder whose texts must not leak.
        languages (`list[str]`, *optional*, defaults to all 7): query languages.
        ood_fraction (`float`, *optional*, defaults to 0.5): share of emoji groups (flags aside) on the OOD side.
        npm_dir (`str`, *optional*): folder with the npm CLDR sources (`sources.default_npm_dir()`).

    Returns:
        `dict`: `{"parallel" | "ood_emoji" | "ood_locale": (rows_by_lang, corpus, dropped), "emoji": counts}`.

    Raises:
        `ValueError`: unknown language, `ood_fraction` outside (0, 1), or `dataset` not a built folder.
    """
    languages = check_languages(languages)
    if isinstance(ood_fraction, bool) or not isinstance(ood_fraction, (int, float)) or not 0 < ood_fraction < 1:
        raise ValueError(f"ood_fraction={ood_fraction!r} must be a number strictly between 0 and 1 "
                         "(e.g. --ood-fraction 0.5).")
    modules = str(ensure_sources(npm_dir))
    products, product_emoji = build_product_texts(dataset, modules)
    items, emoji_counts = build_emoji_items(modules, languages, product_emoji, float(ood_fraction))
    ood_emoji, ood_locale = build_ood_emoji(items, languages, products), build_ood_locale(languages, products)
    parallel = build_parallel(items, languages, products, _ood_texts(ood_emoji, ood_locale))
    return {"parallel": parallel, "ood_emoji": ood_emoji, "ood_locale": ood_locale, "emoji": emoji_counts}


__all__ = ["group_key", "is_flag", "is_ood_group", "build_product_texts", "build_emoji_items", "build_ood_emoji",
           "build_ood_locale", "build_parallel", "build_anchor_tables"]
