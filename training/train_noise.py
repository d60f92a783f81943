"""Noise-aware training: the `test_noisy` noise generators applied to a share of the *train* queries.

`dataset_builder.noise.QueryNoiser` makes the typo, no_diacritics, code_mix and romanized variants of the
`test_noisy` split. Here the same generators rewrite a planned training item's query with probability `rate`,
deterministically per (seed, item index): a resumed run sees the same texts, and two runs with the same seed and
rate (LiRA and the `finetune` baseline) see the same noisy queries. Only the query text changes: the positive
product, the relevance and the English candidates stay those of the clean query (the English view is what a good
translator would return; the model learns to lean on it when the LRL text is degraded). Validation and test rows
never pass through here: only the train `LiraQueryDataset` gets a `LiraTrainNoise`.

Known gap: the romanizers are rule based (RTGS for Thai, letter-by-letter `anyascii` for Urdu and Bengali); people
write Roman Urdu with habits (vowels spelled out, "k" for ک/ق, ...) that these tables do not produce, so robustness to
real romanized queries can be lower than measured on `test_noisy`.
"""

import random
from lira_utils.defaults import SEED


class LiraTrainNoise:
    """Rewrites the query of a share of training items with one noise type.

    Args:
        corpus (`list[dict]`): product rows (`product_id`, `title_en`, `keywords_en`): the English vocabulary that
            code-mixing must not insert, and the titles a variant must not add (the noise never adds the answer).
        rate (`float`): probability that an item's query is made noisy, in [0, 1].
        seed (`int`, *optional*, defaults to 13).
        offset (`int`, *optional*, defaults to 0): added to the item index, so a dataset holding a later slice of
            the plan (LiRA's stage 2) noises item i like the whole-plan dataset (the fine-tune) noises item
            offset + i.
    """

    def __init__(self, corpus, rate, seed=SEED, offset=0):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"noise rate {rate!r} must be in [0, 1]; e.g. --train-noise-rate 0.25.")
        self.rate, self.seed, self.offset = rate, seed, offset
        self.titles = {p["product_id"]: p["title_en"] for p in corpus}
        self.vocabulary = [t for p in corpus for t in (p["title_en"], *(p.get("keywords_en") or []))]
        self._noisers = {}

    def shifted(self, offset):
        """The same noise for a dataset that starts at plan position `offset`."""
        out = LiraTrainNoise.__new__(LiraTrainNoise)
        out.__dict__.update(self.__dict__, offset=self.offset + offset)
        return out

    def _noiser(self, language):
        if language not in self._noisers:
            from dataset_builder.noise import QueryNoiser

            self._noisers[language] = QueryNoiser(language, self.seed, forbidden_words=self.vocabulary)
        return self._noisers[language]

    def __call__(self, index, item):
        """The item with a noisy query (and `noise` set to its type), or unchanged (`noise` = `"none"`)."""
        index += self.offset
        if self.rate == 0.0 or random.Random(f"train-noise-{self.seed}-{index}").random() >= self.rate:
            return {**item, "noise": "none"}
        forbidden = [self.titles[pid] for pid in item["relevant_ids"] if pid in self.titles]
        text, noise = self._noiser(item["language"])(f"{item['query_id']}#{index}", item["query"], forbidden)
        return {**item, "query": text, "noise": noise}
