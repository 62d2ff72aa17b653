"""Exporting a trained network: ONNX, TorchScript or a ``torch.export`` program.

Every export is checked before it is reported: the written file is loaded back and run on
fresh inputs of another batch size (and other sequence lengths), and its outputs are
compared with the module's. ONNX needs the optional packages ``onnx`` and ``onnxscript``
(``pip install nnspec[onnx]``; ``onnxruntime`` as well for the check).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

FORMATS = ("onnx", "torchscript", "exported")
ONNX_HINT = "pip install nnspec[onnx] (onnx, onnxscript and onnxruntime)"


class ExportError(Exception):
    """An export that cannot be made, told in the user's terms (``hint``: what to do)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class Exported:
    """What :func:`export` wrote: the format, how (``scripted``/``traced`` for TorchScript),
    the dimensions left dynamic, and the largest difference from the module on a check."""

    path: str
    format: str
    how: str
    dynamic: list[str]
    difference: float | None  # None: not checked (onnxruntime missing)


def example_inputs(infos, batch: int, length: int, seed: int = 0) -> list:
    """Random inputs for a spec's ``infos`` (:func:`nnspec.train.data.input_infos`): symbolic
    dimensions take ``length``; token ids avoid the padding id, and with ``pad`` the second
    sequence ends early, so that the padding path is exercised."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = []
    for info in infos:
        shape = (batch, *(d if isinstance(d, int) else length for d in info.shape))
        if info.dtype == "int":
            high = info.vocab or 2
            ids = torch.randint(0, high, shape, generator=gen)
            if info.pad is not None:
                ids[ids == info.pad] = (info.pad + 1) % high
                if batch > 1 and len(shape) == 2 and shape[1] > 1:
                    ids[1, shape[1] // 2:] = info.pad
            out.append(ids)
        else:
            out.append(torch.randn(shape, generator=gen))
    return out


def _quiet(fn):
    """Run ``fn`` without gradients and without the exporters' progress lines and warnings
    (the command prints its own one-line report)."""
    import functools

    @functools.wraps(fn)
    def run(*args, **kwargs):
        import contextlib
        import logging
        import warnings

        import torch

        loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
        levels = [lg.level for lg in loggers]
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
                warnings.simplefilter("ignore")
                return fn(*args, **kwargs)
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)

    return run


def export_module(model, infos, fmt: str, path: str, length: int, outputs: list[str] | None = None,
                  metadata: dict[str, str] | None = None) -> Exported:
    """Write ``model`` (its inputs described by ``infos``: name, shape, dtype, padding and
    vocabulary, as :func:`nnspec.train.data.input_infos` gives them) to ``path`` as ``fmt``
    (one of :data:`FORMATS`), with a dynamic batch and dynamic symbolic dimensions (a sequence
    length ``T``), then check the file against the module on inputs it has not seen.

    ``torch.export`` unrolls a recurrent layer over time, so for ``exported`` such a network's
    symbolic dimensions are fixed, to ``length``. The file's inputs are named as the spec's
    inputs, its outputs ``outputs``; ``metadata`` (text by key) travels in the file: ONNX's
    ``metadata_props``, a TorchScript archive's ``extra/`` files, a ``.pt2``'s extra files.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format `{fmt}`", hint=f"the formats are {', '.join(FORMATS)}")
    symbols = sorted({d for info in infos for d in info.shape if not isinstance(d, int)})
    if fmt == "onnx":
        _need_onnx()
    return _write(model.eval(), fmt, path, infos, symbols, length, outputs or ["output"], dict(metadata or {}))


@_quiet
def _write(model, fmt, path, infos, symbols, length, outputs, metadata) -> Exported:
    import torch

    example = example_inputs(infos, batch=2, length=6)
    check = example_inputs(infos, batch=3, length=9, seed=1)
    dynamic = ["batch"] + symbols
    if fmt == "onnx":
        program = _onnx(model, example, infos, symbols, outputs)
        fixed = _onnx_fixed(program, infos, symbols)
        how = "torch.onnx"
        if fixed:  # the exporter specialised them: export again at the length asked for
            example = example_inputs(infos, batch=2, length=length)
            check = example_inputs(infos, batch=3, length=length, seed=1)
            dynamic = [d for d in dynamic if d not in fixed]
            program = _onnx(model, example, infos, [s for s in symbols if s not in fixed], outputs)
            how += f"; {', '.join(fixed)} fixed at {length}"
        _save(path, _with_metadata(program, metadata))
        return Exported(path, fmt, how, dynamic, _run_onnx(path, check, model(*check)))
    if fmt == "torchscript":
        compiled, how = _torchscript(model, example)
        _save(path, _serialised(lambda fh: torch.jit.save(compiled, fh, _extra_files=metadata)))
        return Exported(path, fmt, how, dynamic, _difference(torch.jit.load(path)(*check), model(*check)))
    try:
        program = torch.export.export(model, tuple(example), dynamic_shapes=_dynamic_shapes(infos, symbols))
    except Exception as e:  # noqa: BLE001 -- a dimension the exporter specialised, or worse
        if not symbols:
            raise ExportError(f"torch.export could not export the network: {_first_line(e)}") from None
        example = example_inputs(infos, batch=2, length=length)
        check = example_inputs(infos, batch=3, length=length, seed=1)
        dynamic = ["batch"]
        try:
            program = torch.export.export(model, tuple(example), dynamic_shapes=_dynamic_shapes(infos, []))
        except Exception as e:  # noqa: BLE001
            raise ExportError(f"torch.export could not export the network: {_first_line(e)}") from None
    _save(path, _serialised(lambda fh: torch.export.save(program, fh, extra_files=metadata)))
    fixed = "" if dynamic != ["batch"] or not symbols else f"; {', '.join(symbols)} fixed at {length}"
    return Exported(path, fmt, "torch.export" + fixed, dynamic,
                    _difference(torch.export.load(path).module()(*check), model(*check)))


def _serialised(save) -> bytes:
    """What ``save(file)`` writes, in memory: torch's own writers abort the process (exit 134)
    when the disk fills under them, where a write of bytes raises an error to report."""
    buffer = io.BytesIO()
    save(buffer)
    return buffer.getvalue()


def _save(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; a full or read-only disk is an :class:`ExportError`
    saying so (what was at ``path`` is intact)."""
    from ..files import atomic_write, write_failure

    existed = os.path.exists(path)
    try:
        atomic_write(path, lambda fh: fh.write(data))
    except OSError as e:
        raise ExportError(write_failure(path, e, existed), hint="free some disk space, or write elsewhere") from None


def _need_onnx() -> None:
    import importlib.util

    missing = [m for m in ("onnx", "onnxscript") if importlib.util.find_spec(m) is None]
    if missing:
        raise ExportError(f"exporting to ONNX needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                          "not installed", hint=ONNX_HINT)


def _dynamic_shapes(infos, symbols: list[str]) -> tuple:
    """The dynamic dimensions of each input, in input order: positional, because the module's
    argument names need not be the spec's input names (an nn.Sequential takes ``input``)."""
    from torch.export import Dim

    dims = {"batch": Dim("batch", min=1), **{s: Dim(s, min=1) for s in symbols}}
    return tuple({0: dims["batch"], **{i + 1: dims[d] for i, d in enumerate(info.shape) if d in symbols}}
                 for info in infos)


def _onnx(model, example, infos, symbols, outputs: list[str]) -> bytes:
    import torch

    try:
        program = torch.onnx.export(model, tuple(example), dynamo=True, verbose=False,
                                    input_names=[i.name for i in infos], output_names=outputs,
                                    dynamic_shapes=_dynamic_shapes(infos, symbols))
    except Exception as e:  # noqa: BLE001 -- the exporter raises many kinds; the first line says what failed
        raise ExportError(f"torch.onnx could not export the network: {_first_line(e)}") from None
    buffer = io.BytesIO()
    program.save(buffer)
    return buffer.getvalue()


def _with_metadata(program: bytes, metadata: dict[str, str]) -> bytes:
    """The ONNX model with ``metadata`` in its ``metadata_props`` (what onnxruntime's
    ``get_modelmeta().custom_metadata_map`` reads back)."""
    import onnx

    model = onnx.load_model_from_string(program)
    onnx.helper.set_model_props(model, metadata)
    return model.SerializeToString()


def read_metadata(path: str) -> dict[str, str]:
    """The metadata an exported ONNX file carries (:func:`export_module`'s ``metadata``)."""
    import onnx

    return {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}


def _onnx_fixed(program: bytes, infos, symbols: list[str]) -> list[str]:
    """The symbolic dimensions that the ONNX model's inputs hold as fixed sizes."""
    import onnx

    graph = onnx.load_model_from_string(program).graph
    inputs = {i.name: [d.dim_param for d in i.type.tensor_type.shape.dim] for i in graph.input}
    fixed = []
    for info in infos:
        params = inputs.get(info.name, [])
        for i, d in enumerate(info.shape):
            if d in symbols and i + 1 < len(params) and not params[i + 1] and d not in fixed:
                fixed.append(d)
    return fixed


def _run_onnx(path: str, check, expected) -> float | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), check)}
    import torch

    return _difference(tuple(torch.from_numpy(y) for y in session.run(None, feeds)), expected)


def _torchscript(model, example):
    """``torch.jit.script``, or where scripting fails (a helper it cannot compile),
    ``torch.jit.trace`` of the same module (its tensor shapes stay dynamic)."""
    import warnings

    import torch

    try:
        return torch.jit.script(model), "scripted"
    except Exception:  # noqa: BLE001 -- any scripting failure: tracing is the way left
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            try:
                return torch.jit.trace(model, tuple(example), check_trace=False), "traced"
            except Exception as e:  # noqa: BLE001
                raise ExportError(f"TorchScript could neither script nor trace the network: {_first_line(e)}") from None


def _difference(got, expected) -> float:
    got = got if isinstance(got, (tuple, list)) else (got,)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    return max(float((g.float() - e.float()).abs().max()) for g, e in zip(got, expected))


def _first_line(e: BaseException) -> str:
    """What went wrong, in one line: the innermost cause (an exporter wraps the real error in a
    banner such as "This is step 1/3 ... Next steps:"), its first line, without terminal colours."""
    while e.__cause__ is not None:
        e = e.__cause__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip()
    return text.splitlines()[0] if text else type(e).__name__
