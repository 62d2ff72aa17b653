"""A hand-written PyTorch twin of ``specs/sentiment_lstm.nn``: embedding, an LSTM that skips
padding (packed sequences), and a linear head on each review's final state."""

from __future__ import annotations

import torch
from torch import nn


class SentimentLSTM(nn.Module):
    def __init__(self, vocab: int = 20000, classes: int = 2, dim: int = 128, hidden: int = 128, pad: int = 0):
        super().__init__()
        self.pad = pad
        self.embed = nn.Embedding(vocab, dim, padding_idx=pad)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        lengths = (tokens != self.pad).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(tokens), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.fc(h[-1])
