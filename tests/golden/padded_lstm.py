"""Tagger, compiled by nnspec from tests/golden/padded_lstm.nn.

Inputs: tokens [T] int; outputs: [3] (shapes without the batch dimension).
Parameters: 8,443. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


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


def cannot_export_padded_bidirectional_layers() -> torch.Tensor:
    raise RuntimeError("a padded bidirectional recurrent layer of several layers cannot be exported")


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


class Tagger(nn.Module):
    """Network `Tagger(vocab=50, classes=3)`: tokens [T] int -> [3].

    Shapes are without the batch dimension.
    """

    def __init__(self, vocab=50, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, 16, padding_idx=0)
        self.rnn = nn.LSTM(16, 12, num_layers=2, batch_first=True, bidirectional=True)
        self.summary = nn.LSTM(24, 8, batch_first=True)
        self.head = nn.Linear(8, classes)
        self.logsoftmax = nn.LogSoftmax(dim=-1)

    def forward(self, tokens):
        """tokens [batch, T] int -> [batch, 3]"""
        lengths1 = (tokens != 0).sum(1)  # each sequence's true length: its tokens that are not padding
        x = self.embed(tokens)  # [T, 16]
        x = unpack_sequences(self.rnn(pack_sequences(x, lengths1))[0], x.shape[1]) if not exporting() else cannot_export_padded_bidirectional_layers()  # [T, 24]
        x = final_state(self.summary(pack_sequences(x, lengths1))[1][0], 1) if not exporting() else masked_outputs(self.summary(x)[0], lengths1, True)  # [8]
        x = self.head(x)  # [classes]
        x = self.logsoftmax(x)  # [classes]
        return x
