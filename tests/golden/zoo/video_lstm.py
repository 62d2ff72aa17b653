"""VideoLSTM, compiled by nnspec from specs/video_lstm.nn.

Inputs: video [T, 3, 64, 64]; outputs: [10] (shapes without the batch dimension).
Parameters: 491,530. Generated code: edit the spec and compile it again.
"""

import torch
from torch import nn


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


class FrameEncoder(nn.ModuleList):
    """Block `FrameEncoder(width)` on [3, 64, 64]; instances: `encoder`."""

    def __init__(self, width=32):
        super().__init__([
            nn.Conv2d(3, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ])

    def forward(self, x):
        x = self[0](x)  # [width, 64, 64]
        x = self[1](x)  # [width, 64, 64]
        x = self[2](x)  # [width, 64, 64]
        x = self[3](x)  # [width, 32, 32]
        x = self[4](x)  # [64, 32, 32]
        x = self[5](x)  # [64, 32, 32]
        x = self[6](x)  # [64, 32, 32]
        x = self[7](x)  # [64, 16, 16]
        x = self[8](x)  # [128, 16, 16]
        x = self[9](x)  # [128, 16, 16]
        x = self[10](x)  # [128, 16, 16]
        x = self[11](x)  # [128, 8, 8]
        x = x.mean((2, 3))  # [128]
        return x


class VideoLSTM(nn.Module):
    """Network `VideoLSTM(classes=10, hidden=256)`: video [T, 3, 64, 64] -> [10].

    Shapes are without the batch dimension.
    """

    def __init__(self, classes=10, hidden=256):
        super().__init__()
        self.encoder = FrameEncoder()
        self.lstm = nn.LSTM(128, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, video):
        """video [batch, T, 3, 64, 64] -> [batch, 10]"""
        x = video.flatten(0, 1)  # [3, 64, 64]
        x = self.encoder(x)  # [128]
        x = x.unflatten(0, (video.shape[0], -1))  # [T, 128]
        x = final_state(self.lstm(x)[1][0], 1)  # [256]
        x = self.fc(x)  # [10]
        return x
