"""Products: the in-memory product record and the selection of product-like CLDR emoji.

Selection rule (the one used by the fine-tune baseline in `shared/docs/finetune_baseline.md`, 599 products):

* Food & Drink, Objects and Activities: every emoji.
* Travel & Places: the transport run "locomotive" ... "flying saucer" (transport-ground/-water/-air) plus 16
  hand-picked product-like items (compass, tent, bellhop bell, luggage, clocks, thermometer, umbrellas).
* Animals & Nature: the plant run "bouquet" ... end (florist and garden items).
* Dropped: faces, people and body (hence every skin-tone and gender variant), animals, symbols, flags. The groups
  file lists base emoji only, so no variant sequence is ever selected; a selected emoji with skin-tone support
  would be skipped.

`unicode-emoji-json` has no subgroup field, so the Unicode subgroup (the product category) is recovered from the
first member of each subgroup in Unicode order (emoji-test.txt); `_SUBGROUP_STARTS` lists them.
"""

import dataclasses
import unicodedata

from .schema import LANGUAGES
from .sources import load_annotations, load_emoji_groups, lookup

TRAVEL_PRODUCTS = (
    "compass", "tent", "bellhop bell", "luggage", "hourglass done", "hourglass not done", "watch", "alarm clock",
    "stopwatch", "timer clock", "mantelpiece clock", "thermometer", "closed umbrella", "umbrella",
    "umbrella with rain drops", "umbrella on ground",
)  # fmt: skip
TRANSPORT_RUN = ("locomotive", "flying saucer")
PLANT_RUN_START = "bouquet"

# group slug -> [(first member name, Unicode subgroup)], in Unicode order.
_SUBGROUP_STARTS = {
    "animals_nature": [("monkey face", "animal"), ("bouquet", "plant-flower"), ("seedling", "plant-other")],
    "food_drink": [
        ("grapes", "food-fruit"), ("avocado", "food-vegetable"), ("bread", "food-prepared"),
        ("bento box", "food-asian"), ("soft ice cream", "food-sweet"), ("baby bottle", "drink"),
        ("chopsticks", "dishware"),
    ],
    "travel_places": [
        ("globe showing Europe-Africa", "place-map"), ("snow-capped mountain", "place-geographic"),
        ("stadium", "place-building"), ("church", "place-religious"), ("fountain", "place-other"),
        ("locomotive", "transport-ground"), ("anchor", "transport-water"), ("airplane", "transport-air"),
        ("bellhop bell", "hotel"), ("hourglass done", "time"), ("new moon", "sky & weather"),
    ],
    "activities": [
        ("jack-o-lantern", "event"), ("military medal", "award-medal"), ("soccer ball", "sport"),
        ("bullseye", "game"), ("performing arts", "arts & crafts"),
    ],
    "objects": [
        ("glasses", "clothing"), ("muted speaker", "sound"), ("musical score", "music"),
        ("saxophone", "musical-instrument"), ("mobile phone", "phone"), ("battery", "computer"),
        ("movie camera", "light & video"), ("notebook with decorative cover", "book-paper"), ("coin", "money"),
        ("envelope", "mail"), ("pencil", "writing"), ("briefcase", "office"), ("locked", "lock"),
        ("hammer", "tool"), ("alembic", "science"), ("syringe", "medical"), ("door", "household"),
        ("cigarette", "other-object"),
    ],
}  # fmt: skip


@dataclasses.dataclass
class LiraProduct:
    """One product of the corpus, with its localized names and keywords.

    Args:
        product_id (`str`): unique id.
        title_en (`str`): English title (for CLDR: the English short name).
        keywords_en (`list[str]`): English keywords.
        category (`str`): category (for CLDR: the Unicode emoji subgroup, e.g. `food-fruit`).
        titles (`dict[str, str]`): language -> localized title (`""` where missing).
        keywords (`dict[str, list[str]]`): language -> localized keywords.
        emoji (`str`, *optional*, defaults to `""`): the emoji, for CLDR products.
        group (`str`, *optional*, defaults to `""`): coarse group (for CLDR: the Unicode emoji group).
        split (`str`, *optional*): a split pinned by the catalog; `None` lets the seeded splitter decide.
    """

    product_id: str
    title_en: str
    keywords_en: list
    category: str
    titles: dict
    keywords: dict
    emoji: str = ""
    group: str = ""
    split: str = None


def _subgroups(group_slug, names):
    """Unicode subgroup of every member of a group, from the subgroup start table (falls back to the slug)."""
    starts = dict(_SUBGROUP_STARTS.get(group_slug, []))
    current, out = group_slug, []
    for name in names:
        current = starts.get(name, current)
        out.append(current)
    return out


def _keep_mask(group_slug, names):
    """Which members of a group are product-like, per the selection rule in the module docstring."""
    if group_slug in ("food_drink", "objects", "activities"):
        return [True] * len(names)
    if group_slug == "travel_places":
        lo, hi = names.index(TRANSPORT_RUN[0]), names.index(TRANSPORT_RUN[1])
        return [lo <= i <= hi or name in TRAVEL_PRODUCTS for i, name in enumerate(names)]
    if group_slug == "animals_nature":
        start = names.index(PLANT_RUN_START)
        return [i >= start for i in range(len(names))]
    return [False] * len(names)


def _clean_terms(values):
    """NFC, strip, drop empties and duplicates (keeping order)."""
    out = []
    for value in values:
        value = unicodedata.normalize("NFC", value).strip()
        if value and value not in out:
            out.append(value)
    return out


def select_cldr_products(modules, languages=LANGUAGES, max_products=None):
    """Reads the product-like CLDR emoji and their names and keywords in English and `languages`.

    Args:
        modules (`str` or `Path`): the `node_modules` folder (see `sources.ensure_sources`).
        languages (`Iterable[str]`, *optional*, defaults to all 7): languages whose titles and keywords are read.
        max_products (`int`, *optional*): keep this many products, evenly spaced over the Unicode order so that
            every group stays represented (for quick builds and tests); `None` keeps all.

    Returns:
        `list[LiraProduct]`: in Unicode group order (the order the seeded splitter shuffles).
    """
    modules = str(modules)
    english = load_annotations(modules, "en")
    localized = {lang: load_annotations(modules, lang) for lang in languages}
    products = []
    for group in load_emoji_groups(modules):
        names = [e["name"] for e in group["emojis"]]
        keep, subgroups = _keep_mask(group["slug"], names), _subgroups(group["slug"], names)
        for entry, kept, subgroup in zip(group["emojis"], keep, subgroups):
            if not kept or entry.get("skin_tone_support"):
                continue
            en = lookup(english, entry["emoji"])
            if en is None or not en.get("tts"):
                continue
            titles, keywords = {lang: "" for lang in LANGUAGES}, {lang: [] for lang in LANGUAGES}
            for lang in languages:
                loc = lookup(localized[lang], entry["emoji"]) or {}
                titles[lang] = next(iter(_clean_terms(loc.get("tts", []))), "")
                keywords[lang] = _clean_terms(loc.get("default", []))
            title_en = _clean_terms(en["tts"])[0]
            products.append(
                LiraProduct(
                    product_id=f"cldr-{entry['slug']}",
                    title_en=title_en,
                    keywords_en=_clean_terms(en.get("default", [])),
                    category=subgroup,
                    titles=titles,
                    keywords=keywords,
                    emoji=entry["emoji"],
                    group=group["name"],
                )
            )
    if max_products is not None and max_products < len(products):
        if max_products < 1:
            raise ValueError(f"max_products must be >= 1, got {max_products}.")
        n = len(products)
        products = [products[(i * n) // max_products] for i in range(max_products)]
    return products
