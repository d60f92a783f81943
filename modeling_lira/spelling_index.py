"""The spelling tables of one language that `LiraQueryNormalizer` rewrites queries with, and their text helpers.

`LiraSpellingIndex` holds a language's vocabulary (the shop's texts and words), the unaccented and romanized forms
of each, and two tables of forms a typed span may be one slip away from: the vocabulary's, and the lexicon's (real
words of the language the shop's texts lack, tried only when no vocabulary text is one slip away, and only for a
swap or a letter typed twice). Only stdlib: it is uploaded as remote code beside the weights.
"""

import bisect
import difflib
import functools
import itertools
import unicodedata
from array import array
from collections import OrderedDict

WEIGHTS = {"exact": 1.0, "unaccented": 0.98, "romanized": 0.96, "fuzzy": 0.9}
MIN_FUZZY_LETTERS = 5
LEXICON_MIN_LETTERS = 5  # a lexicon word is a correction only for spans this long (shorter ones: too many neighbours)
SLIP_KINDS = ("swap", "missing", "doubled", "extra")
EXTRA_MIN_LETTERS = 7  # a shorter span with "another letter typed in" is a real word the shop lacks more often
# than a slip (CLDR names: "peseta" -> "pesta", party; "vatu" -> "vật"; "روبل" -> "رول"): it stays as typed
EDGE_MAX_LETTERS = 4  # nor is a span this short that lacks a first or last letter ("lats" -> "flats", "pint" ->
# "pinto", "پیسو" -> "پیسوں"): a short real word plus a letter at its end is often another real word
LEXICON_SLIP_KINDS = ("swap", "doubled")  # a rare real word the lexicon lacks is often a lexicon word less a letter
# ("serabi", a pancake: "serambi", a porch) or with one more ("trunks": "trunk"; "دیودار", cedar: "دیدار", sight; a
# trailing comma); on validation missing-letter rewrites cost clean id / ms queries 0.004 / 0.002 nDCG@10
SLIP_INDEX_LETTERS = 8  # forms this short are also found through their one-slip keys (3-grams miss "جگنل" -> "جنگل")
PREFIX_GRAMS = 5  # a slip changes at most 4 letter 3-grams: any 5 of a span's hold one of every form one slip away
# Bounds on what one query may cost (a stranger's text of any length, a vocabulary file of any content):
MAX_QUERY_WORDS = 64  # words of a text that are normalized; the rest stay as typed (LiraProcessor keeps 128 tokens)
MAX_SPAN_WORDS = 8  # longest span the segmentation tries (longer vocabulary texts are matched through their words)
MAX_FUZZY_LETTERS = 48  # longest span (in letters) that is fuzzy-matched; longer ones only by equality
MAX_SLIPPED_WORDS = 2  # one slip changes one word, or two neighbours (a swap across a space)
MAX_ENTRY_CHARS = 200  # vocabulary texts and romanized forms longer than this are not indexed (no span reaches them)
MAX_ROMANIZED = 8  # romanized forms indexed per vocabulary text
MARKS_OPTIONAL = {"ur"}  # languages whose marks (harakat) are left out in correct writing: never added back
MEMO_SIZE = 20_000  # spans remembered per language (least recently used first out)
NEAR_BITS = 1 << 23  # most bits of a table's filter of one-slip keys (1 MiB; under 0.5 % false "maybe" at 300k keys)
NEAR_BITS_PER_KEY = 32  # a filter has the least power of two of bits >= this x its keys; each key sets 2 bits
# (`_near_bits`), so at most 1 - e^(-1/16) = 6 % of the bits are set and a key not in the table reads 2 set bits
# with a chance under 0.4 % (one bit per key at 128 bits per key: 0.8 %, with 4 times the memory)
_LATIN_ACCENTED = ("vi", "id", "ms", "fil")  # languages whose accents people leave out (`strip_diacritics`)
_THAI_TONES = {chr(c) for c in range(0x0E48, 0x0E4C)}
_ARABIC_HARAKAT = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670"}


def without_punctuation(text):
    """`text` without its punctuation characters (Unicode category P*); word by word, each remembered (bounded)."""
    return " ".join(map(_word_without_punctuation, text.split(" ")))


@functools.lru_cache(maxsize=65_536)
def _word_without_punctuation(word):
    return "".join(ch for ch in word if not unicodedata.category(ch).startswith("P"))


def fold(text):
    """NFC, lower-case, strip, and runs of whitespace folded to one space (`text` itself when it is folded already,
    so a table of folded texts shares their strings with the vocabulary it was built from)."""
    folded = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return text if folded == text else folded


@functools.lru_cache(maxsize=65_536)
def strip_diacritics(text, language):
    """Removes the marks people leave out when they type without an input method: Vietnamese tone and vowel marks
    (and d-stroke -> d), Thai tone marks (U+0E48-U+0E4B), Urdu harakat, Latin accents (id, ms, fil); Bengali and any
    other language (e.g. a zero-shot one: Hindi's or Khmer's vowel signs are not optional) are returned unchanged."""
    if language == "th":
        return "".join(ch for ch in text if ch not in _THAI_TONES)
    if language == "ur":
        return "".join(ch for ch in text if ch not in _ARABIC_HARAKAT)
    if language not in _LATIN_ACCENTED:
        return text
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def letters(text):
    """`text` cut into letters with their marks (a stdlib stand-in for grapheme clusters: every combining or
    spacing mark joins the letter before it, e.g. Thai tone marks and Bengali vowel signs, and a letter after a
    virama joins the conjunct it ends, e.g. Bengali "ক্ষ")."""
    out = []
    for ch in text:
        if out and (unicodedata.category(ch) in ("Mn", "Mc", "Me") or unicodedata.combining(out[-1][-1]) == 9):
            out[-1] += ch
        else:
            out.append(ch)
    return out


@functools.lru_cache(maxsize=65_536)
def spelt(text):
    """`letters(text)` as a tuple, remembered (bounded): the hot path reads the same spans and forms again and again."""
    if text.isascii():
        return tuple(text)
    return tuple(letters(text))


def slip_kind(typed, known):
    """The slip that turns letter list `known` into `typed`: `"swap"` (two neighbours swapped), `"missing"` (one
    letter left out), `"doubled"` (one letter typed twice), `"extra"` (another letter typed in), or `None` when they
    are equal or further apart."""
    if typed == known or abs(len(typed) - len(known)) > 1:
        return None
    i = 0
    while i < min(len(typed), len(known)) and typed[i] == known[i]:
        i += 1
    if len(typed) == len(known):
        return "swap" if typed[i + 2:] == known[i + 2:] and typed[i:i + 2] == known[i:i + 2][::-1] else None
    if len(typed) < len(known):
        return "missing" if known[i + 1:] == typed[i:] else None
    if typed[i + 1:] != known[i:]:
        return None
    return "doubled" if typed[i] in typed[max(0, i - 1):i] + typed[i + 1:i + 2] else "extra"


def one_slip(typed, known):
    """Whether letter lists `typed` and `known` differ by one slip: a swap of two neighbours, one letter missing or
    one letter extra (a duplicated letter is an extra one)."""
    return slip_kind(typed, known) is not None


def slip_keys(letter_list):
    """`letter_list` joined, and joined without each one of its letters: two texts one slip apart share a key (a
    swap of neighbours i, i+1 leaves the same text without letter i in one and i+1 in the other)."""
    return {"".join(letter_list)} | {"".join(letter_list[:i] + letter_list[i + 1:]) for i in range(len(letter_list))}


def trigrams(text):
    """Character 3-grams of `text` padded with a space on each side (the blocking key of fuzzy lookups)."""
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class _Memo(OrderedDict):
    """A least-recently-used dict of at most `size` entries (a service that lives long sees unbounded distinct
    queries; every memo of the normalizer is one of these)."""

    def __init__(self, size=None):
        super().__init__()
        self.size = MEMO_SIZE if size is None else size

    def lookup(self, key, compute):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = compute()
        if len(self) > self.size:
            self.popitem(last=False)
        return value


def letter_trigrams(letter_list):
    """3-grams of a letter list (`letters`) padded with a space on each side, joined with U+0001 (a slip of one
    letter changes at most 4 of them, whatever the script: Bengali conjuncts and Thai tone marks are one letter)."""
    padded = [" ", *letter_list, " "]
    return {"\x01".join(padded[i : i + 3]) for i in range(len(padded) - 2)}


def _near_bits(h, size):
    """The 2 bits of a key in a filter of `size` bits (a power of two of at most 2^32), from its 64-bit
    `hash` `h`: its low and its high 32 bits."""
    return (h % size, (h >> 32) % size)


class _Postings:
    """A frozen `{key: [id, ...]}` held as three flat arrays (about 16 bytes per key and 4 per id, against about 300
    per key as a dict of lists): the keys' `hash` values sorted, the offsets of their id runs, the ids.

    Two keys with one hash share a run (a superset of either's ids): lookups only propose candidates, which
    `_SlipTable.closest` then checks letter by letter, so a shared run changes no match.

    Args:
        lists (`dict`): hashable key -> ids.
    """

    def __init__(self, lists):
        runs = {}
        for key, ids in lists.items():
            h = hash(key)
            runs[h] = runs[h] + ids if h in runs else ids
        order = sorted(runs)
        self.hashes = array("q", order)  # (keys,)
        runs = [dict.fromkeys(runs[h]) for h in order]  # each id once (a form and its text may share a slip key)
        self.ids = array("I", [i for run in runs for i in run])  # (ids,)
        self.offsets = array("I", [0, *itertools.accumulate(map(len, runs))])  # (keys + 1,): run k is
        # ids[offsets[k]:offsets[k + 1]]

    def __len__(self):
        return len(self.hashes)

    def get(self, key, default=()):
        """The ids of `key` (an `array`), or `default`."""
        h = hash(key)
        k = bisect.bisect_left(self.hashes, h)
        if k == len(self.hashes) or self.hashes[k] != h:
            return default
        return self.ids[self.offsets[k] : self.offsets[k + 1]]


class _SlipTable:
    """`(form, text)` pairs a typed span may be one slip away from.

    Every pair one slip from a typed span is found, and nothing sorts the table: a slip changes at most 4 of the
    span's letter 3-grams, so a known form one slip away holds at least one of any 5 of them; the table keeps the
    forms by 3-gram and letter count, and a lookup reads the 5 rarest 3-grams' lists of forms of the span's letter
    count +- 1 (`PREFIX_GRAMS`). Spans of fewer than `SLIP_INDEX_LETTERS` + 1 letters (too few 3-grams) are looked
    up by their one-slip keys instead (`slip_keys`: two texts one slip apart share one). Before either, `may_hold`
    reads a bit filter of every form's and text's one-slip keys (`NEAR_BITS`): most spans have no form one slip away,
    and the filter says so without a false "no". `closest` keeps a slip that `SLIP_KINDS` allows, except another
    letter typed into a span under `EXTRA_MIN_LETTERS` letters and a first or last letter missing from one of at
    most `EDGE_MAX_LETTERS`.

    `add` fills dicts of lists; `freeze` (`LiraSpellingIndex` calls it once the table is full, and the first lookup
    does if nobody did) turns them into [`_Postings`] (a few times smaller: `tests/model/test_spelling_postings.py`),
    sizes the filter to the table's keys (`NEAR_BITS_PER_KEY`, at most `NEAR_BITS`) and ends `add`. The pairs are
    two flat lists (`form_keys`, `form_texts`; `forms` zips them).
    """

    def __init__(self, kinds=SLIP_KINDS):
        self.kinds = kinds  # the slips (`slip_kind`) a match may be
        self.form_keys, self.form_texts = [], []  # pair i is (form_keys[i], form_texts[i])
        self.grams, self.slips = {}, {}  # (3-gram, letters) -> ids; one-slip key -> ids
        self._near_hashes = array("q")  # hash of every one-slip key of every form and text, until `freeze`
        self.near, self.near_bits = bytearray(0), 0  # then 2 bits per hashed key (`_near_bits`; no false "no")
        self.frozen = False

    @property
    def forms(self):
        """The `(form, text)` pairs, in the order they were added."""
        return list(zip(self.form_keys, self.form_texts))

    def add(self, form, text):
        if self.frozen:
            raise RuntimeError("this _SlipTable is frozen; build a new one to add forms.")
        spelling, at = letters(form), len(self.form_keys)
        for gram in letter_trigrams(spelling):
            self.grams.setdefault((gram, len(spelling)), []).append(at)
        for spelling in map(letters, {form, text}):
            keys = slip_keys(spelling)
            self._near_hashes.extend(map(hash, keys))
            if len(spelling) < SLIP_INDEX_LETTERS:
                for slip in keys:
                    self.slips.setdefault(slip, []).append(at)
        self.form_keys.append(form)
        self.form_texts.append(text)

    def freeze(self):
        """Turns the tables into [`_Postings`] and the key hashes into the filter (no more `add`); an empty table
        has no filter."""
        if not self.frozen:
            self.grams, self.slips, self.frozen = _Postings(self.grams), _Postings(self.slips), True
            hashes, self._near_hashes = self._near_hashes, None  # keys of several forms repeat: a bound of the count
            if hashes:
                self.near_bits = min(NEAR_BITS, max(1 << 13, 1 << (NEAR_BITS_PER_KEY * len(hashes) - 1).bit_length()))
                self.near = bytearray(self.near_bits // 8)
                for h in hashes:
                    for bit in _near_bits(h, self.near_bits):
                        self.near[bit >> 3] |= 1 << (bit & 7)

    def may_hold(self, typed):
        """`False` when no form or text of the table is one slip from letter tuple `typed` (or equal to it); `True`
        means maybe (two texts one slip apart share a `slip_keys` key, and every key of the table sets its bit)."""
        self.freeze()
        if not self.near:  # an empty table
            return False
        near, size = self.near, self.near_bits
        for slip in slip_keys(list(typed)):
            if all(near[bit >> 3] & (1 << (bit & 7)) for bit in _near_bits(hash(slip), size)):
                return True
        return False

    def candidates(self, typed, form_letters):
        """Ids of the pairs that may be one slip from letter list `typed` (its unaccented form: `form_letters`)."""
        self.freeze()
        found = set()
        if len(typed) <= SLIP_INDEX_LETTERS:  # short known forms; a typed span may have one letter more
            found.update(i for slip in slip_keys(typed) for i in self.slips.get(slip, ()))
        size = len(form_letters)
        if size >= SLIP_INDEX_LETTERS - 1:  # long known forms (>= 8 letters) are one letter longer at most
            lists = [[self.grams.get((gram, n), ()) for n in (size - 1, size, size + 1)]
                     for gram in letter_trigrams(form_letters)]
            lists.sort(key=lambda parts: sum(map(len, parts)))  # the rarest 3-grams first; nothing else is read
            found.update(i for parts in lists[:PREFIX_GRAMS] for ids in parts for i in ids)
        return sorted(found)  # vocabulary order: the most frequent text first

    def closest(self, span, form, threshold):
        """`(text, ratio, credit)` of the closest text one slip away from `span` (`difflib` ratio >= `threshold`;
        ties: the most frequent), or `None`; a span typed without marks (`form == span`) is compared with the forms,
        else with the texts."""
        typed = spelt(span)
        best = None
        for i in self.candidates(typed, typed if form == span else spelt(form)):
            key, text = self.form_keys[i], self.form_texts[i]
            other = key if form == span else text
            known = spelt(other)
            kind = slip_kind(typed, known)
            size = len(typed) - typed.count(" ")
            if kind not in self.kinds or (kind == "extra" and size < EXTRA_MIN_LETTERS) or (
                    kind == "missing" and size <= EDGE_MAX_LETTERS and typed in (known[1:], known[:-1])):
                continue
            matcher = difflib.SequenceMatcher(None, span, other, autojunk=False)
            ratio = matcher.ratio()
            if ratio >= threshold and (best is None or ratio > best[1]):
                same = sum(block.size for block in matcher.get_matching_blocks())
                best = (text, ratio, 3 * same - len(span) - len(other))
        return best


class LiraSpellingIndex:
    r"""
    Lookup tables of one language (`LiraQueryNormalizer` builds one per language on first use).

    Args:
        language (`str`): language code (picks the optional marks, see `strip_diacritics`).
        entries (`list[dict]`): the vocabulary, `[{"text": str, "romanized": [str, ...]}]`, most frequent first.
        threshold (`float`): least `difflib` ratio of a fuzzy match.
        min_letters (`int`, *optional*, defaults to 5): least letters of a fuzzy-corrected span.
        real_words (`Iterable[str]`, *optional*): words spelt right that are never fuzzy-corrected.
        lexicon (`Iterable[str]`, *optional*): real words of the language the vocabulary lacks; each is a real word,
            counts as a known word for the coverage rule, and is a fuzzy correction of a one-word span of at least
            `lexicon_min_letters` letters when no vocabulary text is one slip away (`LEXICON_SLIP_KINDS`).
        lexicon_min_letters (`int`, *optional*, defaults to 5): least letters of a span corrected into a lexicon word.
    """

    def __init__(self, language, entries, threshold, min_letters=MIN_FUZZY_LETTERS, real_words=(), lexicon=(),
                 lexicon_min_letters=LEXICON_MIN_LETTERS):
        self.language, self.threshold, self.min_letters = language, threshold, min_letters
        self.lexicon_min_letters = lexicon_min_letters
        self.real_words = {fold(w) for w in real_words}
        self.exact, self.unaccented, self.romanized = {}, {}, {}
        self.vocabulary_table, self.lexicon_table = _SlipTable(), _SlipTable(LEXICON_SLIP_KINDS)
        for entry in entries:
            text = fold(entry["text"])
            if not text or len(text) > MAX_ENTRY_CHARS or len(text.split()) > MAX_SPAN_WORDS:
                continue  # no span the segmentation tries reaches it; its words are entries of their own
            self.exact.setdefault(text, text)
            romanized = [fold(r) for r in entry.get("romanized", ())[:MAX_ROMANIZED]]
            keys = [self.unaccent(text)] + [r for r in romanized if r and len(r) <= MAX_ENTRY_CHARS
                                            and len(r.split()) <= MAX_SPAN_WORDS]
            self.unaccented.setdefault(keys[0], text)
            for key in keys[1:]:
                self.romanized.setdefault(key, text)
            for key in dict.fromkeys(keys):
                self.vocabulary_table.add(key, text)
        self.lexicon = {w for w in map(fold, lexicon) if w and w not in self.exact}
        for word in sorted(self.lexicon):
            self.lexicon_table.add(word, word)  # compared as spelt: a span typed without marks finds marks-free words
        self.max_words = max((len(t.split()) for t in [*self.exact, *self.romanized]), default=1)
        one = {}  # one string per known word: a one-word text is its own word, a word of several is split once
        self.starts, self.ends, self.pairs = set(), set(), set()  # of the known texts of several words
        texts = [*self.exact, *self.unaccented, *self.romanized]
        one.update((t, t) for t in texts if " " not in t)
        for split in (t.split() for t in texts if " " in t):
            split = [one.setdefault(w, w) for w in split]
            self.starts.add(split[0])
            self.ends.add(split[-1])
            self.pairs.update(zip(split, split[1:]))
        self.words = set(one)
        self.alphabet = {ch for w in [*self.words, *self.lexicon] for ch in w}  # a word with 2 others matches nothing
        self.vocabulary_table.freeze()
        self.lexicon_table.freeze()
        self.known_word, self._memo, self._real, self._probe = None, _Memo(), _Memo(), _Memo()

    def clear_memos(self):
        """Forgets every remembered span and word (`known_word` changed)."""
        for memo in (self._memo, self._real, self._probe):
            memo.clear()

    def unaccent(self, text):
        """`text` without its optional marks, lower-cased (word by word: each word's form is remembered)."""
        bare = " ".join(strip_diacritics(w, self.language).lower() for w in text.split(" "))
        return text if bare == text else bare  # the same string when nothing changed (the tables share it)

    def is_real(self, word):
        """Whether a typed word is a real word (`real_words`, the lexicon, or `known_word`), which is never a slip."""
        if self.is_listed(word):
            return True
        return self.known_word is not None and self._real.lookup(word, lambda: bool(self.known_word(word)))

    def is_listed(self, word):
        """Whether a typed word is a word of the language's lexicon (`real_words` or `lexicon`): a known word for the
        coverage rule, though nothing rewrites it."""
        return word in self.real_words or word in self.lexicon

    def _fuzzy(self, span, form, probe=False):
        """`(text, ratio, credit)` of the closest known text one slip away from the typed `span`, or `None`: a
        vocabulary text if one is, else (one-word spans of `lexicon_min_letters` letters) a lexicon word; with
        `probe`, `True` when some text may be one slip away (every check but the tables' lookups)."""
        # a slip leaves every word but one (or two neighbours) as it was, and turns it into a word the shop does not
        # know; the words it leaves stand as they do in some known text (first, last, and neighbours); real words the
        # shop lacks ("alarm", not a slip of "alam") are as typed unless a shop text one slip away gives them context
        # ("kencang buta": "kencan buta", a blind date)
        words = span.split()
        slipped = [k for k, w in enumerate(words) if w not in self.words]
        if not slipped or len(slipped) > MAX_SLIPPED_WORDS or slipped[-1] - slipped[0] > 1:
            return None
        if len(words) > 1 and not self._could_be_text(words, slipped):
            return None
        typed = spelt(span)
        size = len(typed) - span.count(" ")
        if size < self.min_letters or size > MAX_FUZZY_LETTERS:
            return None
        in_vocabulary = self.vocabulary_table.may_hold(typed)
        in_lexicon = bool(self.lexicon) and size >= self.lexicon_min_letters and " " not in span and (
            self.lexicon_table.may_hold(typed))
        if not (in_vocabulary or in_lexicon) or all(self.is_real(w) for w in words):
            return None
        if probe:
            return True
        found = self.vocabulary_table.closest(span, form, self.threshold) if in_vocabulary else None
        if found is None and in_lexicon:
            found = self.lexicon_table.closest(span, form, self.threshold)
        return found

    def _could_be_text(self, words, slipped):
        """Whether the words of a multi-word span that no slip touched stand as they do in some known text: the
        first word starts one, the last ends one, and neighbours are neighbours in one (a necessary condition)."""
        last = len(words) - 1
        if (0 not in slipped and words[0] not in self.starts) or (last not in slipped and words[-1] not in self.ends):
            return False
        return all((words[k], words[k + 1]) in self.pairs for k in range(last)
                   if k not in slipped and k + 1 not in slipped)

    def match(self, span, text_has_marks=False):
        """`(text, method, similarity, credit)` of one folded span, strongest method first, or `None`;
        `text_has_marks`: some word of the typed text carries marks, so no word is missing them."""
        return self._memo.lookup((span, text_has_marks), lambda: self._match(span, text_has_marks))

    def _match(self, span, text_has_marks, probe=False):
        """`match` without the memo; with `probe`, a fuzzy span that may match gives `(None, "fuzzy", None, credit
        bound)` (its credit is at most its length: `3 * same - len(span) - len(other)`, `same` <= either length)."""
        found = None
        if span in self.exact or without_punctuation(span) in self.exact:  # "گوبھی،": a known word and a comma
            found = (span, "exact", 1.0, len(span))
        elif not text_has_marks and span in self.unaccented:  # typed without any marks (so `span` is its own form)
            # Urdu is written without harakat: the span is known, and it is already spelt right (kept as typed)
            found = (span if self.language in MARKS_OPTIONAL else self.unaccented[span], "unaccented", 1.0, len(span))
        elif span in self.romanized:
            found = (self.romanized[span], "romanized", 1.0, len(span))
        elif probe:
            found = (None, "fuzzy", None, len(span)) if self._fuzzy(span, self.unaccent(span), probe=True) else None
        else:
            fuzzy = self._fuzzy(span, self.unaccent(span))
            found = (fuzzy[0], "fuzzy", fuzzy[1], fuzzy[2]) if fuzzy and fuzzy[2] > 0 else None
        return found

    def _probed(self, span, text_has_marks):
        """`_match(..., probe=True)`, remembered (bounded); a span already matched gives its match (a tighter bound)."""
        key = (span, text_has_marks)
        if key in self._memo:
            return self._memo[key]
        return self._probe.lookup(key, lambda: self._match(span, text_has_marks, probe=True))

    def credit_bound(self, words):
        """An upper bound on the credit of `segment(words)` that reads no table of forms: the same segmentation, with
        each span that may be fuzzy-matched (`_SlipTable.may_hold`) credited its length (`LiraQueryNormalizer` skips a
        language whose bound is below the best credit found)."""
        return self.segment(words, probe=True)[0] + 1e-6  # (credits are rounded to 9 decimals)

    def _viable_starts(self, words, bare, known, start, j):
        """The starts `i` (from `j - 1` down to `start`) of the spans `words[i:j]` that some method may match.

        A span of several words matches exactly (as typed, unaccented or romanized) only if each neighbour pair is a
        pair of some known text (`pairs`), or the same without punctuation; fuzzily only if at most two adjacent
        words are unknown and every pair of known neighbours is a known pair. Each condition only gets stricter as
        the span grows to the left, so the walk stops at the first start that meets none.
        """
        typed_ok = punct_ok = fuzzy_ok = True
        unknown = []  # positions of the span's unknown words, right to left (a slip touches at most 2 neighbours)
        for i in range(j - 1, start - 1, -1):
            if not known[i]:
                unknown.append(i)
            if i < j - 1:
                pair = (words[i], words[i + 1]) in self.pairs  # (both words known, then)
                typed_ok = typed_ok and pair
                punct_ok = punct_ok and (bare[i], bare[i + 1]) in self.pairs
                fuzzy_ok = (fuzzy_ok and len(unknown) <= MAX_SLIPPED_WORDS and (pair or not (known[i] and known[i + 1]))
                            and (not unknown or unknown[0] - unknown[-1] <= 1))
                if not (typed_ok or punct_ok or fuzzy_ok):
                    return
            yield i

    def segment(self, words, probe=False):
        """`(credit, [(start, end, text, method, similarity)])` of the best segmentation of `words` (with `probe`, see
        `credit_bound`)."""
        has_marks = any(self.unaccent(w) != w for w in words)
        window = min(self.max_words, MAX_SPAN_WORDS)
        # a word with two letters outside every known text (another script) is in no span that matches: skipped
        usable = [sum(ch not in self.alphabet for ch in w) < 2 for w in words]
        bare = [_word_without_punctuation(w) for w in words]
        known = [w in self.words for w in words]  # (a span of several words matches only through known pairs)
        best = [(0.0, 0, [])] + [None] * len(words)  # (credit, -spans, spans) of each prefix
        for j in range(1, len(words) + 1):
            best[j] = best[j - 1]  # word j-1 left as typed
            start = j
            while start > max(0, j - window) and usable[start - 1]:
                start -= 1
            for i in self._viable_starts(words, bare, known, start, j):
                span = " ".join(words[i:j])
                found = self._probed(span, has_marks) if probe else self.match(span, has_marks)
                if found is not None:
                    base = best[i]
                    option = (round(base[0] + WEIGHTS[found[1]] * found[3], 9), base[1] - 1,
                              base[2] + [(i, j, *found[:3])])  # fmt: skip
                    if option[:2] > best[j][:2]:
                        best[j] = option
        return best[-1][0], best[-1][2]
