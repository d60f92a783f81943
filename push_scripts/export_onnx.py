"""Adds the CPU serving formats to LiRA's sentence-transformers export: `onnx/model.onnx` (fp32) and
`onnx/model_qint8_avx512_vnni.onnx` (dynamic int8), the files and names sentence-transformers' ONNX backend reads.

Why not through `optimum` (checked with sentence-transformers 6.3, transformers 5.25, onnx 1.23, onnxruntime 1.32):
the newest `optimum-onnx` on PyPI (0.1.0) pins `transformers<4.58` and `optimum~=2.1.0`, and `optimum` 2.x core has
no onnxruntime code, so sentence-transformers' own `[onnx]` extra (`optimum-onnx[onnxruntime]`) cannot be installed
beside transformers 5. Installed anyway (`--no-deps`), it breaks on import: `SentenceTransformer(path,
backend="onnx")` raises `ImportError: cannot import name 'get_parameter_dtype' from 'transformers.modeling_utils'`
(the export path, `optimum.exporters.onnx.convert`) and `export_dynamic_quantized_onnx_model` raises its
"Please install Optimum and ONNX Runtime" `ImportError` because `optimum.onnxruntime` fails on `cannot import name
'is_offline_mode' from 'transformers.utils'`. So this module does what those two calls do, with the libraries they
call underneath:

* `onnx/model.onnx`: the folder's Transformer module (`SentenceTransformer(st_dir)[0].auto_model`) through
  `torch.onnx.export` with the TorchScript exporter (`dynamo=False`, what optimum's exporter uses too), opset 18
  (optimum's default), inputs `input_ids`, `attention_mask` and `token_type_ids` when the model takes it (optimum's
  BERT inputs; feed zeros when the tokenizer gives none), output `last_hidden_state`, dynamic `batch_size` and
  `sequence_length` axes. Pooling, Dense and Normalize stay in the folder's modules, as with sentence-transformers'
  ONNX backend.
* `onnx/model_qint8_avx512_vnni.onnx`: `onnxruntime.quantization.quantize_dynamic` with the settings of
  `export_dynamic_quantized_onnx_model(model, "avx512_vnni", ...)`, i.e. optimum's
  `AutoQuantizationConfig.avx512_vnni(is_static=False)` through `ORTQuantizer`: QInt8 symmetric weights,
  per-channel (its default), `reduce_range=False`, QUInt8 asymmetric dynamic activations, the operators of
  onnxruntime's `IntegerOpsRegistry`, `MatMulConstBOnly` unset (as `ORTQuantizer` leaves it) — **except** that 36 of
  the 96 MatMuls stay fp32 ([`fp32_matmuls`], passed as `nodes_to_exclude`, which optimum's config takes too): the
  24 activation x activation ones (attention scores and context) and the 12 feed-forward down-projections, whose input
  (the GELU output) has the outliers that per-tensor uint8 activations lose. On the trained model that is the
  difference between missing and meeting the issue's quality bar (nDCG@10 macro on the full `lira-products` test
  split, PyTorch 0.4441): every MatMul quantized (`--stock-int8`, sentence-transformers' own file) 0.4356 (-0.0085);
  attention kept fp32 0.4393 (-0.0048); attention and down-projections kept fp32 (the default) 0.4412 (-0.0029).
  Per-tensor weight scales (`per_channel=False`) lose more (-0.023 on a 400-query-per-language sample).

Each export is checked before anything is written: the fp32 file must give the PyTorch export's vectors within
`FP32_TOLERANCE` (`encode_query` and `encode_document`, texts of several lengths, one truncated), else
`RuntimeError`; the int8 file's lowest cosine to them is reported. The `onnx/` folder is written atomically
(`lira_utils.atomic.atomic_folder`: built next to it, renamed into place; a failure leaves no folder and an
`onnx/` folder that LiRA did not write is never replaced).

Once an optimum release supports transformers 5, the same files load with sentence-transformers itself::

    SentenceTransformer(st_dir, backend="onnx")  # onnx/model.onnx
    SentenceTransformer(st_dir, backend="onnx", model_kwargs={"file_name": "onnx/model_qint8_avx512_vnni.onnx"})

Until then `evaluation.onnx_system.OnnxQueryEncoder` serves them with onnxruntime alone.

Usage::

    pip install -e ".[onnx]"
    python -m push_scripts.export_onnx --st-dir artifacts/lira-st [--no-int8 | --stock-int8]
"""

import argparse
import inspect
import os
import warnings

import numpy as np

from evaluation.onnx_system import (FP32_FILE, INSTALL_HINT, INT8_FILE, ONNX_DIR, OnnxQueryEncoder, read_st_folder,
                                    require_onnxruntime)
from lira_utils.arguments import run_cli
from lira_utils.atomic import atomic_folder, check_output_folder

OPSET = 18
FP32_TOLERANCE = 1e-4
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PROBE_TEXTS = ["tai nghe không dây", "หูฟังไร้สาย", "sepatu lari", "বই", "کتاب", "wireless headphones",
               "red apple " * 300]  # the last one is truncated at max_seq_length


def require_onnx():
    """Imports `onnx` and `onnxruntime.quantization`, or raises `ImportError` saying how to install them."""
    try:
        import onnx
        from onnxruntime import quantization
    except ImportError as err:
        raise ImportError(f"the ONNX export needs onnx and onnxruntime: {INSTALL_HINT}") from err
    return onnx, quantization


def _last_hidden_state(model, input_names):
    """The traced module: `model` called with `input_names` (positional, in that order), returning only its
    `last_hidden_state` (B, T, H); in eval mode, since the exporter restores the wrapper's mode recursively."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(**dict(zip(input_names, inputs))).last_hidden_state  # (B, T, H)

    return LastHiddenState().eval()


def export_transformer(model, tokenizer, path, opset=OPSET):
    """Writes the Transformer module of a sentence-transformers folder as ONNX.

    Args:
        model (`transformers.PreTrainedModel`): the backbone (`SentenceTransformer(...)[0].auto_model`).
        tokenizer: its tokenizer (builds the example inputs of the trace).
        path (`str`): the `.onnx` file to write.
        opset (`int`, *optional*, defaults to 18): ONNX opset.

    Returns:
        `list[str]`: the ONNX input names.
    """
    import torch

    accepted = inspect.signature(model.forward).parameters
    names = [n for n in ONNX_INPUTS if n in accepted]
    example = tokenizer(["query: a b c d e", "x"], padding=True, return_tensors="pt")  # (2, T), padded
    example["token_type_ids"] = example.get("token_type_ids", torch.zeros_like(example["input_ids"]))
    axes = {0: "batch_size", 1: "sequence_length"}
    model = model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter's deprecation notice, and tracer warnings about shape-dependent Python branches:
        # the numeric check on other batch sizes and lengths (`check_export`) is what guards the trace
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(_last_hidden_state(model, names), tuple(example[n] for n in names), path,
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={**{n: axes for n in names}, "last_hidden_state": axes},
                          opset_version=opset, do_constant_folding=True, dynamo=False)
    return names


def fp32_matmuls(onnx_path):
    """The MatMul nodes that the int8 file keeps in fp32 (see the module docstring): those whose second input is not
    a weight (attention scores and context, activation x activation) and the down-projections, whose input is the
    feed-forward activation's output (a `Mul` in the exported GELU / gated activations), where activation outliers
    make per-tensor dynamic uint8 quantization lossy.

    Args:
        onnx_path (`str`): the fp32 `.onnx` file.

    Returns:
        `list[str]`: node names, in graph order.
    """
    onnx, _ = require_onnx()
    graph = onnx.load(onnx_path, load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    producers = {out: node.op_type for node in graph.node for out in node.output}
    return [node.name for node in graph.node if node.op_type == "MatMul" and
            (node.input[1] not in weights or producers.get(node.input[0]) == "Mul")]


def quantize_int8(src, dst, per_channel=True, stock=False):
    """Dynamic int8 quantization of `src` into `dst` with optimum's `avx512_vnni(is_static=False)` settings; unless
    `stock`, the MatMuls of [`fp32_matmuls`] stay fp32 (`nodes_to_exclude`, see the module docstring).

    Args:
        src (`str`): the fp32 `.onnx` file.
        dst (`str`): the int8 `.onnx` file to write.
        per_channel (`bool`, *optional*, defaults to `True`): per-channel weight scales (optimum's default).
        stock (`bool`, *optional*, defaults to `False`): quantize every MatMul, exactly what sentence-transformers'
            `export_dynamic_quantized_onnx_model(model, "avx512_vnni", ...)` writes.

    Returns:
        `list[str]`: the MatMul nodes kept in fp32.
    """
    _, quantization = require_onnx()
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    excluded = [] if stock else fp32_matmuls(src)
    quantization.quantize_dynamic(
        src, dst, op_types_to_quantize=list(IntegerOpsRegistry), per_channel=per_channel, reduce_range=False,
        weight_type=quantization.QuantType.QInt8, nodes_to_exclude=excluded,
        extra_options={"WeightSymmetric": True, "ActivationSymmetric": False, "EnableSubgraph": False,
                       "ForceSymmetric": False, "MatMulConstBOnly": False})
    return excluded


def check_export(st_model, st_dir, onnx_path, texts=PROBE_TEXTS):
    """Compares an ONNX file, served by [`OnnxQueryEncoder`], with the PyTorch export on `texts`, one text at a time
    and all in one padded batch (the same batches on both sides: a left-padded absolute-position backbone gives
    batch-dependent vectors in sentence-transformers too).

    Args:
        st_model (`SentenceTransformer`): the folder loaded with sentence-transformers.
        st_dir (`str`): the folder (tokenizer, prompts, Dense weights).
        onnx_path (`str`): the ONNX file to check.
        texts (`list[str]`, *optional*): probe texts, embedded as queries and as documents.

    Returns:
        `dict`: `max_abs_diff` and `min_cosine` over both sides and both batchings.
    """
    reference, served = [], []
    for batch_size in (1, len(texts)):
        encoder = OnnxQueryEncoder(st_dir, onnx_path, batch_size=batch_size, progress=False)
        for side in ("encode_query", "encode_document"):
            reference.append(getattr(st_model, side)(texts, batch_size=batch_size))  # (N, d)
            served.append(getattr(encoder, side)(texts))  # (N, d)
    reference, served = np.concatenate(reference), np.concatenate(served)  # (4N, d)
    cosine = (reference * served).sum(1) / np.maximum(
        np.linalg.norm(reference, axis=1) * np.linalg.norm(served, axis=1), 1e-12)  # (4N,)
    return {"max_abs_diff": float(np.abs(reference - served).max()), "min_cosine": float(cosine.min())}


def export_onnx(st_dir, int8=True, per_channel=True, stock_int8=False, opset=OPSET, log=print):
    """Writes `onnx/model.onnx` (and `onnx/model_qint8_avx512_vnni.onnx`) into a sentence-transformers export.

    Args:
        st_dir (`str`): the folder written by `export_sentence_transformers`; only its `onnx/` subfolder is written.
        int8 (`bool`, *optional*, defaults to `True`): also write the dynamic int8 file.
        per_channel (`bool`, *optional*, defaults to `True`): per-channel int8 weight scales (see [`quantize_int8`]).
        stock_int8 (`bool`, *optional*, defaults to `False`): quantize every MatMul (sentence-transformers' own
            "avx512_vnni" file) instead of keeping [`fp32_matmuls`] in fp32.
        opset (`int`, *optional*, defaults to 18): ONNX opset.
        log (`callable`, *optional*, defaults to `print`): progress output.

    Returns:
        `dict`: `files` (paths relative to `st_dir`) and `checks` (per file, see [`check_export`]).

    Raises:
        `ValueError`: `st_dir` is not such an export, or its `onnx/` folder holds files LiRA did not write (checked
            before anything loads).
        `RuntimeError`: the fp32 file does not reproduce the PyTorch export (nothing is written).
        `ImportError`: onnx / onnxruntime are missing (the message says how to install them).
    """
    read_st_folder(st_dir)
    onnx_dir = os.path.join(st_dir, ONNX_DIR)
    check_output_folder(onnx_dir, what=f"the ONNX folder of --st-dir {st_dir!r}")
    require_onnx()
    require_onnxruntime()
    from sentence_transformers import SentenceTransformer

    st_model = SentenceTransformer(st_dir, device="cpu")
    files = [FP32_FILE] + ([INT8_FILE] if int8 else [])
    checks = {}
    with atomic_folder(onnx_dir, what=f"the ONNX folder of --st-dir {st_dir!r}", prefix=".tmp-lira-onnx-") as tmp:
        fp32 = os.path.join(tmp, os.path.basename(FP32_FILE))
        export_transformer(st_model[0].auto_model, st_model[0].tokenizer, fp32, opset)
        checks[FP32_FILE] = check_export(st_model, st_dir, fp32)
        if not checks[FP32_FILE]["max_abs_diff"] <= FP32_TOLERANCE:
            raise RuntimeError(f"the ONNX export of {st_dir!r} does not reproduce the PyTorch vectors (max abs diff "
                               f"{checks[FP32_FILE]['max_abs_diff']:.2e} > {FP32_TOLERANCE:.0e}); nothing was "
                               "written. The backbone may not trace with dynamic shapes; please report it.")
        log(f"{FP32_FILE}: max abs diff to PyTorch {checks[FP32_FILE]['max_abs_diff']:.1e}")
        if int8:
            quantized = os.path.join(tmp, os.path.basename(INT8_FILE))
            excluded = quantize_int8(fp32, quantized, per_channel=per_channel, stock=stock_int8)
            checks[INT8_FILE] = {**check_export(st_model, st_dir, quantized), "fp32_matmuls": len(excluded)}
            log(f"{INT8_FILE}: lowest cosine to PyTorch {checks[INT8_FILE]['min_cosine']:.4f}")
    return {"files": files, "checks": checks}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--st-dir", required=True,
                        help="sentence-transformers export (python -m push_scripts.export_sentence_transformers)")
    parser.add_argument("--no-int8", action="store_true", help="write only onnx/model.onnx (fp32)")
    parser.add_argument("--stock-int8", action="store_true",
                        help="quantize every MatMul, as sentence-transformers' export_dynamic_quantized_onnx_model "
                             "does (faster, less accurate: see docs/publishing.md)")
    args = parser.parse_args(argv)
    if args.no_int8 and args.stock_int8:
        raise ValueError("--stock-int8 chooses how the int8 file is quantized; drop it with --no-int8.")
    result = export_onnx(args.st_dir, int8=not args.no_int8, stock_int8=args.stock_int8)
    for name in result["files"]:
        print(os.path.join(args.st_dir, name))
    return result


if __name__ == "__main__":
    run_cli(main)
