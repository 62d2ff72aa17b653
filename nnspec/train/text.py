"""Labelled text: reading CSV/TSV files, tokenising, and a vocabulary built on the training split.

Tokens are lower-cased words (letters, digits, apostrophes) and single punctuation marks.
Token ids: the input's ``pad`` id is padding, the first free id after it is ``<unk>`` (a word
not in the vocabulary), and the remaining ids go to the training split's words, most frequent
first, as many as the spec's ``embedding`` has room for.
"""

from __future__ import annotations

import csv
import re
from collections import Counter

import numpy as np

from ..printable import printable
from .errors import DataError, check_path

PAD, UNK = "<pad>", "<unk>"
_TOKEN = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


def tokenize(text: str) -> list[str]:
    """Lower-cased words (apostrophes kept) and punctuation marks.

    >>> tokenize("Great film, didn't LOVE it!")
    ['great', 'film', ',', "didn't", 'love', 'it', '!']
    """
    return _TOKEN.findall(text.lower())


def build_vocab(texts, pad: int, size: int | None) -> list[str]:
    """Id-to-token list for ``texts``: ``pad`` at its id, ``<unk>`` next, then words by frequency.

    ``size`` caps the list (the embedding's vocabulary); ties keep first-seen order.
    """
    counts = Counter(tok for t in texts for tok in tokenize(t))
    vocab = [UNK] + [w for w, _ in sorted(counts.items(), key=lambda kv: -kv[1])]
    vocab += [""] * (pad - len(vocab))  # a pad id past the words leaves unused ids
    vocab.insert(pad, PAD)
    if size is not None:
        if size < 2 or pad >= size:
            raise DataError(f"the embedding's vocabulary of {size} leaves no room for <unk> and the pad id {pad}")
        vocab = vocab[:size]
    return vocab


def encode(texts, vocab: list[str], length: int, pad: int) -> np.ndarray:
    """Token ids ``[N, length]``: truncated or padded with ``pad`` on the right."""
    index = {w: i for i, w in enumerate(vocab) if w}
    unk = index[UNK]
    out = np.full((len(texts), length), pad, dtype=np.int64)
    for row, text in enumerate(texts):
        ids = [index.get(tok, unk) for tok in tokenize(text)[:length]]
        out[row, : len(ids)] = ids
    return out


def read_table(path: str, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    """The text and label columns of a CSV (or, for ``.tsv``/``.tab``, tab-separated) file with a header.

    Errors name a row by the line of the file it starts on (a quoted field may span lines), and
    never quote the file's content: the source may come from a checkpoint, not the user, and
    name any file (``text:/etc/passwd``)."""
    check_path("text", path, directory=False)
    delimiter = "\t" if path.lower().endswith((".tsv", ".tab")) else ","
    rows = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: a leading byte-order mark is not text
            reader = csv.reader(fh, delimiter=delimiter)
            line = 1
            for row in reader:
                rows.append((line, row))
                line = reader.line_num + 1  # where the next row starts
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except csv.Error as e:
        raise DataError(f"{path}: not a readable {'TSV' if delimiter == chr(9) else 'CSV'} file ({e})") from None
    numbered = [(line, r) for line, r in rows if any(cell.strip() for cell in r)]
    if not numbered:
        raise DataError(f"{path} is empty", hint="the first line names the columns, e.g. text,label")
    header = [h.strip() for h in numbered[0][1]]
    columns = []
    for option, name in (("text", text_column), ("label", label_column)):
        if name not in header:
            raise DataError(
                f"{path} has no column `{printable(name, 40)}` (its header, line {numbered[0][0]}, "
                f"has {len(header):,} column{'s' if len(header) != 1 else ''})",
                hint=f"name the {option} column: text:{path}?{option}=COLUMN",
            )
        columns.append(header.index(name))
    texts, labels = [], []
    for line, row in numbered[1:]:
        if len(row) != len(header):
            raise DataError(f"{path}:{line}: {len(row)} fields where the header has {len(header)}",
                            hint="quote fields that contain the separator")
        if not row[columns[0]].strip():
            raise DataError(f"{path}:{line}: the `{text_column}` field is empty",
                            hint="give every row some text, or remove the row")
        if not row[columns[1]].strip():
            raise DataError(f"{path}:{line}: the `{label_column}` field is empty",
                            hint="give every row its label, or remove the row")
        texts.append(row[columns[0]])
        labels.append(row[columns[1]].strip())
    if not texts:
        raise DataError(f"{path} has a header but no rows")
    return texts, labels
