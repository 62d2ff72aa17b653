"""SentimentLSTM, compiled by nnspec from specs/sentiment_lstm.nn.

Inputs: tokens [T] int; outputs: [2] (shapes without the batch dimension).
Parameters: 2,692,354. Generated code: edit the spec and compile it again.
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


def final_state(h: torch.Tensor, directions: int) -> torch.Tensor:
    """The last layer's final state [B, H*dirs] (forward then backward) of a recurrent
    module's states h [layers*dirs, B, H]."""
    return h[-directions:].transpose(0, 1).flatten(1)


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


class SentimentLSTM(nn.Module):
    """Network `SentimentLSTM(vocab=20000, classes=2, dim=128, hidden=128)`: tokens [T] int -> [2].

    Shapes are without the batch dimension.
    """

    def __init__(self, vocab=20000, classes=2, dim=128, hidden=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens):
        """tokens [batch, T] int -> [batch, 2]"""
        lengths1 = (tokens != 0).sum(1)  # each sequence's true length: its tokens that are not padding
        x = self.embed(tokens)  # [T, dim]
        x = final_state(self.lstm(pack_sequences(x, lengths1))[1][0], 1) if not exporting() else masked_outputs(self.lstm(x)[0], lengths1, True)  # [hidden]
        x = self.fc(x)  # [classes]
        return x
