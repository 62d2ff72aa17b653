"""Recurrent layers: ``lstm``, ``gru`` and ``rnn`` (PyTorch's, batch first)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ..code import Attr, Code, IfElse, Index, Not, call
from ..dims import shape_str
from ..shapes import ShapeError
from .base import ArgError, Layer, TensorType, need_concrete
from .schema import ArgsModel, Bool, Field, Int, Number

# Emitted once at the top of generated code; the generated file imports only torch.
RECURRENT_RUNTIME = '''\
# Functions of tensors only, with fixed signatures (an LSTM's state is a pair, a GRU's or an
# RNN's one tensor), so that torch.jit.script takes the modules that call them.
def exporting() -> bool:
    """Whether an exporter (torch.export, ONNX, tracing) is following this call: exporters
    cannot follow packed sequences, so padding is then masked instead of packed."""
    if torch.jit.is_scripting():
        return False
    return torch.compiler.is_exporting() or torch.onnx.is_in_onnx_export() or torch.jit.is_tracing()


def pack_sequences(x: torch.Tensor, lengths: torch.Tensor) -> torch.nn.utils.rnn.PackedSequence:
    """Padded sequences x [B, T, F] packed by their true lengths, so that a recurrent module
    skips the padding and each sequence's final state is its state at its own last token."""
    return torch.nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)


def unpack_sequences(out: torch.nn.utils.rnn.PackedSequence, steps: int) -> torch.Tensor:
    """A recurrent module's packed outputs padded back to [B, steps, H*dirs]."""
    return torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=steps)[0]


def final_state(h: torch.Tensor, directions: int) -> torch.Tensor:
    """The last layer's final state [B, H*dirs] (forward then backward) of a recurrent
    module's states h [layers*dirs, B, H]."""
    return h[-directions:].transpose(0, 1).flatten(1)


def start_state(hx: torch.Tensor) -> torch.Tensor:
    """A GRU's or an RNN's initial state, batch first as values are [B, layers*dirs, H], in
    the layout the module takes: [layers*dirs, B, H]."""
    return hx.transpose(0, 1).contiguous()


def start_state_pair(hx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An LSTM's initial state, batch first [B, 2, layers*dirs, H] (h, then c), as the pair
    (h, c) the module takes, each [layers*dirs, B, H]."""
    hc = hx.permute(1, 2, 0, 3).contiguous()
    return hc[0], hc[1]


def whole_state(h: torch.Tensor) -> torch.Tensor:
    """A GRU's or an RNN's final state h [layers*dirs, B, H], batch first: [B, layers*dirs, H]."""
    return h.transpose(0, 1)


def whole_state_pair(hc: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """An LSTM's final state (h, c), batch first with h then c: [B, 2, layers*dirs, H]."""
    return torch.stack([hc[0], hc[1]]).permute(2, 0, 1, 3)


def cannot_export_padded_bidirectional_layers() -> torch.Tensor:
    raise RuntimeError("a padded bidirectional recurrent layer of several layers cannot be exported")


def state_of_final(last: torch.Tensor, directions: int) -> torch.Tensor:
    """A one-layer GRU's or RNN's whole state [B, dirs, H] from its final state [B, dirs*H]
    (forward then backward): its state is h alone, the last layer's."""
    return last.reshape(last.shape[0], directions, -1)


def cannot_export_padded_state() -> torch.Tensor:
    # masking gives the last layer's outputs: an LSTM's c, or the other layers' states, need packing
    raise RuntimeError("a padded `lstm`, or recurrent layer of several layers, with `output=state` cannot be exported")


def to_the_end(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Padded sequences x [B, T, F] moved to end at the last step, so that a recurrent layer
    going backward starts at each sequence's own last token."""
    steps = x.shape[1]
    t = torch.arange(steps, device=x.device)
    shift = (steps - lengths)[:, None]
    return torch.gather(x, 1, ((t[None, :] - shift) % steps)[:, :, None].expand(-1, -1, x.shape[2]))


def masked_outputs(out: torch.Tensor, lengths: torch.Tensor, final: bool,
                   back: torch.Tensor | None = None) -> torch.Tensor:
    """What packing gives, from a recurrent layer run over padded sequences without packing:
    every step is computed and the padding's outputs are zeroed, the same values as packing
    for one layer or for layers in one direction (right padding never reaches a real step
    going forward). out ran over x; back, for a bidirectional layer, over to_the_end(x, lengths)."""
    steps = out.shape[1]
    hidden = out.shape[2] // 2
    t = torch.arange(steps, device=out.device)
    if back is not None:  # the backward outputs, moved back to their steps
        shift = (steps - lengths)[:, None]
        back = torch.gather(back[:, :, hidden:], 1, ((t[None, :] + shift) % steps)[:, :, None].expand(-1, -1, hidden))
        out = torch.cat([out[:, :, :hidden], back], 2)
    if final:
        last = torch.gather(out, 1, (lengths - 1)[:, None, None].expand(-1, 1, out.shape[2]))[:, 0]
        if back is not None:  # the backward state is final at the first step
            last = torch.cat([last[:, :hidden], out[:, 0, hidden:]], 1)
        return last
    return out * (t[None, :] < lengths[:, None])[:, :, None].to(out.dtype)
'''


class RecurrentArgs(ArgsModel):
    hidden: Int = Field(gt=0)
    layers: Int = Field(1, gt=0)
    bidirectional: Bool = False
    dropout: Number = Field(0, ge=0, le=1)
    output: Literal["sequence", "final", "state"] = "sequence"


class LSTM(Layer):
    """Long short-term memory over a sequence: ``[T, F] -> [T, hidden·dirs]``.

    With ``output=final``: ``[T, F] -> [hidden·dirs]``, the last layer's state after each
    sequence's last real step (forward and backward states concatenated when
    ``bidirectional``). With ``output=state``: the whole final state, every layer and
    direction, ``[2, layers·dirs, hidden]`` (h, then c; ``[layers·dirs, hidden]`` for ``gru``
    and ``rnn``), a value that another recurrent layer of that shape starts from when it is
    named: ``lstm(128, enc)``. Padded input (an ``int`` input with ``pad=``) is packed, so
    padding is skipped. ``dropout`` applies between stacked layers. Example: ``lstm(128)`` on
    ``[T, 64]`` gives ``[T, 128]`` and 4·128·(64 + 128) + 8·128 = 99,328 parameters.
    """

    kind = "lstm"
    example = ("[T, 6]", "lstm(5, layers=2, bidirectional=true)")
    family = "recurrent"
    Args = RecurrentArgs
    torch_name: ClassVar[str] = "LSTM"
    gates: ClassVar[int] = 4
    #: its state is a pair (h, c), where a GRU's or an RNN's is h alone
    state_pair: ClassVar[bool] = True
    #: what PyTorch's CPU kernels keep for the backward pass, in values of ``hidden`` per layer
    #: and direction: per step, per sequence, and the input of each stacked layer after the
    #: first (oneDNN's LSTM workspace holds that one; the GRU keeps its three gates, the new
    #: state and its products, 7 per step; the RNN each step's state). Measured, as
    #: tests/test_training_memory.py does again.
    kept_values: ClassVar[tuple[int, int, int]] = (16, 16, 0)
    runtime = RECURRENT_RUNTIME
    values = 1  # an initial state: `lstm(128, enc)`
    padding_of = 0

    def check_args(self):
        if self.args.dropout and self.args.layers == 1:
            raise ArgError(
                f"`dropout` acts between stacked layers, so it does nothing with `layers=1` (got dropout={self.args.dropout})",
                arg="dropout",
                hint="give `layers=2` or more, or put a `dropout` layer after this one",
            )

    @property
    def directions(self) -> int:
        return 2 if self.args.bidirectional else 1

    def infer(self, x: TensorType) -> TensorType:
        if len(x.shape) != 2:
            raise ShapeError(
                f"`{self.kind}` needs a sequence [T, F], got {shape_str(x.shape)}",
                hint="for a sequence of images, extract features per step with `each { ... }` first"
                if len(x.shape) > 2
                else "a recurrent layer needs a time dimension and a feature dimension",
            )
        need_concrete(x.shape[1], f"the feature dimension of `{self.kind}`")
        width = self.args.hidden * self.directions
        if self.args.output == "final":
            return x.with_shape((width,), keep_mask=False)
        if self.args.output == "state":
            return x.with_shape(self.state_shape(), keep_mask=False)
        return x.with_shape((x.shape[0], width), keep_mask=True)

    def state_shape(self) -> tuple[int, ...]:
        """The shape of a state value: ``[layers·dirs, hidden]``, an LSTM's h and c stacked."""
        shape = (self.args.layers * self.directions, self.args.hidden)
        return (2, *shape) if self.torch_name == "LSTM" else shape

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        """With an initial state (a named value): it must have this layer's state shape."""
        y = self.infer(xs[0])
        state = xs[1]
        if state.shape != self.state_shape() or state.dtype != "float":
            raise ShapeError(
                f"the initial state of `{self.kind}({self.args.hidden}"
                + (f", layers={self.args.layers}" if self.args.layers != 1 else "")
                + (", bidirectional=true" if self.args.bidirectional else "")
                + f")` must be {shape_str(self.state_shape())}, got {state}",
                hint=f"give the final state of a `{self.kind}` of the same size: `{self.kind}(..., output=state)`",
            )
        return y

    def layer_inputs(self, x: TensorType) -> list[int]:
        """The input width of each stacked layer: the features, then the previous layer's output."""
        return [x.shape[1]] + [self.args.hidden * self.directions] * (self.args.layers - 1)

    def param_count(self, x: TensorType) -> int:
        h, g = self.args.hidden, self.gates
        # per layer and direction: input and recurrent weights, and PyTorch's two bias vectors
        return self.directions * sum(g * h * (f + h) + 2 * g * h for f in self.layer_inputs(x))

    def macs(self, x: TensorType, y: TensorType):
        h, g = self.args.hidden, self.gates
        return x.shape[0] * self.directions * sum(g * h * (f + h) for f in self.layer_inputs(x))

    def kept_extra(self, xs, y):
        a, (step, sequence, stacked) = self.args, self.kept_values
        steps, hd = xs[0].shape[0], self.args.hidden * self.directions
        values = a.layers * hd * (step * steps + sequence) + (a.layers - 1) * hd * steps * stacked
        if a.dropout:  # between stacked layers: the mask and the scaled values
            values = values + 2 * (a.layers - 1) * hd * steps
        return 4 * values, 0

    def torch_keywords(self) -> dict:
        return {}

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        return call(
            f"nn.{self.torch_name}",
            x.shape[1],
            a.hidden,
            num_layers=self.changed("layers"),
            **self.torch_keywords(),
            batch_first=True,
            dropout=self.changed("dropout", float),
            bidirectional=self.changed("bidirectional"),
        )

    def forward_code(self, module, xs, types, lengths=None):
        a, x = self.args, xs[0]
        directions = 2 if a.bidirectional else 1
        packed = lengths is not None and types[0].masked
        # an initial state (a named value) goes to the module in its own layout
        start = [call("start_state_pair" if self.state_pair else "start_state", xs[1])] if len(xs) > 1 else []

        def run(seq):
            return call(module, seq, *start)

        def result(out):  # what the layer gives, from the module's (outputs, final state)
            h = Index(out, (1,))
            if a.output == "state":
                return call("whole_state_pair" if self.state_pair else "whole_state", h)
            if a.output == "final":  # the last layer's, batch first
                return call("final_state", Index(h, (0,)) if self.state_pair else h, directions)
            return Index(out, (0,)) if not packed else call("unpack_sequences", Index(out, (0,)), Index(Attr(x, "shape"), (1,)))

        if not packed:
            return result(run(x))
        by_packing = result(run(call("pack_sequences", x, lengths)))
        exporting = call("exporting")
        if a.output == "state" and (self.state_pair or a.layers > 1):  # masking gives the last layer's outputs only
            return IfElse(by_packing, Not(exporting), call("cannot_export_padded_state"))
        if a.bidirectional and a.layers > 1:  # masking gives packing's values for one layer, or in one direction
            return IfElse(by_packing, Not(exporting), call("cannot_export_padded_bidirectional_layers"))
        back = [Index(run(call("to_the_end", x, lengths)), (0,))] if a.bidirectional else []
        masked = call("masked_outputs", Index(run(x), (0,)), lengths, a.output != "sequence", *back)
        if a.output == "state":  # one layer's h: its final state, a row a direction
            masked = call("state_of_final", masked, directions)
        return IfElse(by_packing, Not(exporting), masked)

    def describe(self) -> str:
        a = self.args
        text = f"{self.kind} {a.hidden}"
        if a.layers != 1:
            text += f" ×{a.layers}"
        if a.bidirectional:
            text += " bi"
        if a.output != "sequence":
            text += f" {a.output}"
        return text


class GRU(LSTM):
    """Gated recurrent unit over a sequence: ``[T, F] -> [T, hidden·dirs]`` (or
    ``[hidden·dirs]`` with ``output=final``), as ``lstm`` with three gates.

    Example: ``gru(64, bidirectional=true)`` on ``[T, 32]`` gives ``[T, 128]`` and
    2·(3·64·(32 + 64) + 6·64) = 37,632 parameters.
    """

    kind = "gru"
    example = ("[T, 6]", "gru(5, output=final)")
    torch_name = "GRU"
    gates = 3
    state_pair = False
    kept_values = (7, 0, 1)


class RNNArgs(RecurrentArgs):
    nonlinearity: Literal["tanh", "relu"] = "tanh"


class RNN(LSTM):
    """Elman recurrent layer, ``h' = nonlinearity(W x + U h + b)``: ``[T, F] -> [T, hidden·dirs]``
    (or ``[hidden·dirs]`` with ``output=final``), as ``lstm`` with one gate.

    Example: ``rnn(32, nonlinearity=relu)`` on ``[T, 8]`` gives ``[T, 32]`` and
    32·(8 + 32) + 2·32 = 1,344 parameters.
    """

    kind = "rnn"
    example = ("[T, 6]", "rnn(5, nonlinearity=relu)")
    torch_name = "RNN"
    gates = 1
    state_pair = False
    kept_values = (1, 1, 1)
    Args = RNNArgs

    def torch_keywords(self) -> dict:
        return {"nonlinearity": "relu"} if self.args.nonlinearity == "relu" else {}
