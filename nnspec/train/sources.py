"""Data sources: a ``--data`` string to labelled arrays.

=========================  ===========================================================
``xo``                     the lecture's X-vs-O toy images ``[1, 9, 9]``, generated with
                           noise and shifts (options: ``n``, ``noise``)
``sentiment_toy``          generated labelled sentences (option: ``n``)
``mnist:DIR``              the standard IDX files (gzipped or not); ``t10k-*`` is the
``fashion_mnist:DIR``      validation set when present; ``--download`` fetches them
``text:FILE``              CSV (TSV for ``.tsv``) with a header; options ``text`` and
                           ``label`` name the columns (default ``text`` and ``label``)
``tensors:FILE``           ``.npz`` or ``.pt``: one array per input, named after the input
                           (``x`` also fits a single input), and labels as ``y``
``images:DIR``             one sub-folder per class; images resized to the spec's input.
                           With ``DIR/images/`` and ``DIR/masks/`` instead: segmentation,
                           each mask (same file name, any image type) holding class ids.
                           A class folder whose decoded uint8 images would take more than
                           half the machine's memory is streamed from disk instead
                           (:class:`ImageFiles`); ``NNSPEC_STREAM=1`` streams any folder,
                           ``NNSPEC_STREAM=0`` never streams
=========================  ===========================================================

Labels may take any shape the network's output calls for (see :mod:`nnspec.train.tasks`):
``y`` of a ``tensors:`` file is class ids ``[N]``, per-position ids ``[N, T]`` or
``[N, H, W]``, 0/1 flags or float targets of the output's shape.

Options follow a ``?``: ``text:reviews.csv?text=review&label=sentiment``, ``xo?n=2000``.
Generated sources draw from the run's seed, so a run is reproducible.
"""

from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.dims import shape_str
from ..printable import listed, printable
from . import idx
from .errors import DataError, check_file, check_path
from .text import read_table

KINDS = ("xo", "sentiment_toy", "mnist", "fashion_mnist", "text", "tensors", "images")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


@dataclass
class InputInfo:
    """What the spec declares for one input (see :func:`nnspec.train.data.input_infos`)."""

    name: str
    shape: tuple  # ints and symbol names, without the batch dimension
    dtype: str  # "float" or "int"
    pad: int | None = None
    vocab: int | None = None  # the size of the embedding the input feeds, if any


@dataclass
class Raw:
    """A source's labelled examples, before the split and the checks.

    ``inputs`` holds one array per spec input (``[N, ...]``); a text source holds ``texts``
    instead, encoded once the vocabulary is known. ``test`` is the source's own held-out set.
    """

    source: str
    labels: np.ndarray  # [N, ...]: class ids, 0/1 flags or targets
    inputs: list[np.ndarray] = field(default_factory=list)
    texts: list[str] | None = None
    classes: list[str] | None = None
    test: Raw | None = None
    fixed_size: bool = False  # images of one size that --resize could fit to the spec's input

    def __len__(self) -> int:
        return len(self.labels)

    def relabelled(self, known: list[str] | None) -> Raw:
        """These examples with their labels renumbered as in ``known``, the class names a model
        was trained with, so that a source holding only some classes (a folder with one class
        in it) keeps each class's id. A class not in ``known`` is a :class:`DataError` naming it.

        >>> Raw("images:d", np.array([0, 0]), classes=["triangle"]).relabelled(["circle", "triangle"]).labels
        array([1, 1])
        """
        if known is None or self.classes is None or self.classes == known:
            return self
        unknown = [c for c in self.classes if c not in known]
        if unknown:
            raise DataError(
                f"`{printable(self.source)}` has the class{'es' if len(unknown) > 1 else ''} "
                f"{listed(unknown, quote='`')}, which the model was not trained on; it knows {listed(known)}",
                hint="evaluate on data of the classes the checkpoint was trained with",
            )
        lookup = np.array([known.index(c) for c in self.classes], dtype=np.int64)
        return replace(self, labels=lookup[self.labels], classes=list(known),
                       test=self.test.relabelled(known) if self.test is not None else None)


#: the most examples a generated source makes: far more than it needs to be learnt, and few
#: enough to fit in memory (an `n` from a flag or a checkpoint is held to it)
MAX_GENERATED = 1_000_000

#: each source's options and their defaults (their type follows the default's)
OPTIONS = {"xo": {"n": 1200, "noise": 0.15}, "sentiment_toy": {"n": 2000}, "text": {"text": "text", "label": "label"}}


def parse(source: str) -> tuple[str, str | None, dict]:
    """``"text:a.csv?label=y"`` -> ``("text", "a.csv", {"text": "text", "label": "y"})``: the
    source's kind, path and options (defaults filled in), each checked, reading nothing; a
    source from a flag or a checkpoint passes here first.

    >>> parse("xo?n=60")
    ('xo', None, {'n': 60, 'noise': 0.15})
    """
    body, _, query = source.partition("?")
    kind, sep, arg = body.partition(":")
    if kind not in KINDS:
        from ..diagnostics import did_you_mean

        # a bare path: the source its file would be read as
        named = "images" if os.path.isdir(body) else {".npz": "tensors", ".pt": "tensors", ".csv": "text",
                                                      ".tsv": "text"}.get(os.path.splitext(body)[1].lower())
        raise DataError(f"unknown data source `{kind}`",
                        f"did you mean `{named}:{source}`?" if named and not sep and os.path.exists(body)
                        else did_you_mean(kind, KINDS) or f"the sources are {', '.join(KINDS)}")
    needs_arg = kind not in ("xo", "sentiment_toy")
    if needs_arg and not arg:
        raise DataError(f"the `{kind}` source needs a path: {kind}:PATH")
    if not needs_arg and sep:
        raise DataError(f"the `{kind}` source is generated and takes no path", hint=f"options go after ?, e.g. {kind}?n=2000")
    options = {}
    for item in filter(None, query.split("&")):
        name, eq, value = item.partition("=")
        if not eq:
            raise DataError(f"bad option `{item}` in `{source}`", hint="options are NAME=VALUE joined by &")
        options[name] = value
    allowed = OPTIONS.get(kind, {})
    for name in options:
        if name not in allowed:
            raise DataError(
                f"the `{kind}` source has no option `{name}`",
                hint=f"its options are {', '.join(sorted(allowed))}" if allowed else f"`{kind}` takes no options",
            )
    typed = {"n": _int, "noise": _float}
    return kind, arg or None, {name: typed[name](options, name) if name in options and name in typed
                               else options.get(name, default) for name, default in allowed.items()}


def load(source: str, inputs: list[InputInfo], seed: int = 0, download: bool = False, resize: bool = False) -> Raw:
    """The labelled examples of ``source``, read or generated for a spec with ``inputs``;
    ``resize`` fits the images of ``mnist:``/``fashion_mnist:`` to an image input of another
    size or channel count."""
    kind, arg, options = parse(source)
    if kind == "xo":
        return xo(options["n"], options["noise"], seed)
    if kind == "sentiment_toy":
        return sentiment_toy(options["n"], seed)
    if kind in ("mnist", "fashion_mnist"):
        x, y, tx, ty = idx.load(kind, arg, download)
        classes = idx.CLASSES[kind]
        fit = (lambda a: fit_images(unit_scale(a), inputs)) if resize else unit_scale
        test = Raw(source, ty, [fit(tx)], classes=classes, fixed_size=True) if tx is not None else None
        return Raw(source, y, [fit(x)], classes=classes, test=test, fixed_size=True)
    if kind == "text":
        texts, labels = read_table(arg, options["text"], options["label"])
        y, classes = _label_ids(labels)
        return Raw(source, y, texts=texts, classes=classes)
    if kind == "tensors":
        return tensors(arg, inputs)
    return images(arg, inputs)


def _int(options, name) -> int:
    text = options[name]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise DataError(f"option `{name}` takes a whole number of 1 to {MAX_GENERATED:,}, got {_brief(text)}")
    value = int(text)
    if not 1 <= value <= MAX_GENERATED:
        raise DataError(f"option `{name}` must be from 1 to {MAX_GENERATED:,}, got {value:,}",
                        hint="a generated source makes at most this many examples" if value else None)
    return value


def _float(options, name) -> float:
    try:
        value = float(options[name])
    except ValueError:
        raise DataError(f"option `{name}` takes a number, got {_brief(options[name])}") from None
    if not 0 <= value <= 1:
        raise DataError(f"option `{name}` must be from 0 to 1, got {options[name]}")
    return value


def _brief(text: str) -> str:
    """A value from a source string, quoted, escaped and cut: it may come from a checkpoint."""
    return f"`{printable(text, 40)}`"


def unit_scale(images: np.ndarray) -> np.ndarray:
    """uint8 pixels to float32 in [0, 1]."""
    return images.astype(np.float32) / 255.0


def fit_images(x: np.ndarray, inputs: list[InputInfo]) -> np.ndarray:
    """Images ``[N, C, H, W]`` resized (bilinear, antialiased) to the single image input
    ``[C', H', W']``; one channel is repeated to three, three are averaged to one."""
    channels, height, width = image_shape(inputs, "--resize")
    import torch
    import torch.nn.functional as F

    out = []
    for part in np.array_split(x, max(1, len(x) // 4096)):  # a bounded amount of memory at a time
        t = torch.from_numpy(np.ascontiguousarray(part))
        if (t.shape[2], t.shape[3]) != (height, width):
            t = F.interpolate(t, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        if t.shape[1] != channels:
            t = t.expand(-1, channels, -1, -1) if t.shape[1] == 1 else t.mean(1, keepdim=True)
        out.append(t.clamp(0, 1).numpy())
    return np.concatenate(out) if out else np.zeros((0, channels, height, width), np.float32)


def _label_ids(labels: list[str]) -> tuple[np.ndarray, list[str] | None]:
    """Integer labels stay as they are; names become ids in sorted order (the class list)."""
    try:
        return np.array([int(v) for v in labels], dtype=np.int64), None
    except ValueError:
        classes = sorted(set(labels))
        lookup = {c: i for i, c in enumerate(classes)}
        return np.array([lookup[v] for v in labels], dtype=np.int64), classes


# -- generated sources ---------------------------------------------------------------------------

def _glyphs() -> dict[str, list[np.ndarray]]:
    """X and O strokes of two sizes (5 and 7 pixels) on their own square."""
    out: dict[str, list[np.ndarray]] = {"X": [], "O": []}
    for size in (5, 7):
        eye = np.eye(size, dtype=np.float32)
        out["X"].append(np.maximum(eye, eye[::-1]))
        ring = np.ones((size, size), dtype=np.float32)
        ring[1:-1, 1:-1] = 0
        ring[0, 0] = ring[0, -1] = ring[-1, 0] = ring[-1, -1] = 0  # rounded corners
        out["O"].append(ring)
    return out


def xo(n: int, noise: float, seed: int, size: int = 9) -> Raw:
    """``n`` images ``[1, 9, 9]`` of an X (class 0) or an O (class 1), each at a random size and
    position, with Gaussian noise of standard deviation ``noise``; pixels clipped to [0, 1]."""
    rng = np.random.default_rng([seed, 0x0A])
    glyphs = _glyphs()
    labels = rng.integers(0, 2, n)
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    for i, label in enumerate(labels):  # generation only: training never loops per sample
        glyph = glyphs["XO"[label]][rng.integers(0, 2)]
        g = glyph.shape[0]
        top, left = rng.integers(0, size - g + 1, 2)
        images[i, 0, top:top + g, left:left + g] = glyph
    images += rng.normal(0.0, noise, images.shape).astype(np.float32)
    return Raw("xo", labels.astype(np.int64), [np.clip(images, 0.0, 1.0)], classes=["X", "O"])


_SUBJECTS = ["the movie", "this film", "the plot", "the acting", "the story", "the soundtrack",
             "the ending", "the cast", "the script", "the direction"]
_VERBS = ["was", "is", "felt", "seemed", "looked"]
_INTENSIFIERS = ["", "", "really", "very", "quite", "truly", "so"]
_WORDS = {
    1: ["great", "good", "wonderful", "excellent", "amazing", "lovely", "brilliant", "enjoyable",
        "fantastic", "superb", "moving", "fun"],
    0: ["bad", "terrible", "awful", "boring", "dull", "horrible", "poor", "disappointing", "weak",
        "bland", "painful", "silly"],
}
_OPENERS = ["", "", "honestly", "overall", "i think", "to be fair", "in the end"]


def sentiment_toy(n: int, seed: int) -> Raw:
    """``n`` short reviews labelled ``negative`` (0) or ``positive`` (1).

    A review is one or two clauses ("the plot was really not good and the cast seemed dull");
    ``not`` flips a clause's polarity, and every clause of a review agrees with its label, so
    the label is learnable from word order and not from single words alone.
    """
    rng = np.random.default_rng([seed, 0x5E])
    labels = rng.integers(0, 2, n)
    texts = []
    for label in labels:
        clauses = []
        for _ in range(rng.integers(1, 3)):
            negated = rng.random() < 0.3
            polarity = int(label) ^ int(negated)
            words = [_SUBJECTS[rng.integers(len(_SUBJECTS))], _VERBS[rng.integers(len(_VERBS))],
                     _INTENSIFIERS[rng.integers(len(_INTENSIFIERS))], "not" if negated else "",
                     _WORDS[polarity][rng.integers(len(_WORDS[polarity]))]]
            clauses.append(" ".join(w for w in words if w))
        opener = _OPENERS[rng.integers(len(_OPENERS))]
        texts.append(" ".join(filter(None, [opener, " and ".join(clauses)])))
    return Raw("sentiment_toy", labels.astype(np.int64), texts=texts, classes=["negative", "positive"])


# -- files -----------------------------------------------------------------------------------

def tensors(path: str, inputs: list[InputInfo], labelled: bool = True) -> Raw:
    """Arrays from ``.npz`` (numpy) or ``.pt`` (a dict of tensors, loaded with weights_only).
    Without ``labelled`` (inputs to predict), labels are not needed and read as 0."""
    check_path("tensors", path, directory=False)
    if path.endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as archive:
                if not hasattr(archive, "files"):
                    raise ValueError("it holds a single array (.npy), not named arrays")
                arrays = {k: archive[k] for k in archive.files}
        except Exception as e:  # noqa: BLE001 -- empty (EOFError), not a zip (BadZipFile), a damaged member (zlib.error), ...
            reason = "it is empty" if os.path.getsize(path) == 0 else \
                str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if "pickle" in reason:  # numpy's message advises allow_pickle, which would run code from the file
                reason = "it is not a zip of arrays, and pickled data is never loaded"
            raise DataError(f"{path}: not a readable .npz file ({reason})",
                            hint="write it with numpy.savez(path, x=..., y=...)") from None
    elif path.endswith(".pt"):
        import torch

        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 -- torch raises many kinds for a bad file; all mean the same here
            raise DataError(f"{path}: not a readable .pt file ({type(e).__name__}: {e})") from None
        if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
            raise DataError(f"{path}: expected a dict of tensors, found {type(obj).__name__}")
        arrays = {k: _numpy(path, k, v) for k, v in obj.items()}
    else:
        raise DataError(f"tensors:{path}: expected a .npz or .pt file")
    keys = ", ".join(arrays) or "none"
    label_key = next((k for k in ("y", "labels", "label") if k in arrays), None)
    if label_key is None and labelled:
        raise DataError(f"{path} has no labels: expected an array `y`; its arrays are {keys}")
    xs = []
    for info in inputs:
        names = [info.name] + (["x", "inputs"] if len(inputs) == 1 else [])
        key = next((k for k in names if k in arrays), None)
        if key is None:
            raise DataError(f"{path} has no array for input `{info.name}`; its arrays are {keys}",
                            hint=f"name it `{info.name}`" + (" or `x`" if len(inputs) == 1 else ""))
        xs.append(arrays[key])
    if not labelled:
        return Raw(f"tensors:{path}", np.zeros(len(xs[0]) if xs and xs[0].ndim else 0, np.int64), xs)
    labels = arrays[label_key]
    if labels.ndim < 1 or not (np.issubdtype(labels.dtype, np.number) or labels.dtype == bool):
        raise DataError(f"{path}: labels `{label_key}` must be an array of numbers [N, ...], "
                        f"got {labels.dtype} {list(labels.shape)}")
    return Raw(f"tensors:{path}", labels, xs)


def _numpy(path: str, key: str, t) -> np.ndarray:
    """A tensor of a ``.pt`` file as a numpy array; float types numpy lacks (bfloat16, the
    float8s) widen to float32."""
    import torch

    t = t.detach()
    if t.layout != torch.strided:
        raise DataError(f"{path}: tensor `{key}` is {str(t.layout).removeprefix('torch.')}, not dense",
                        hint="store t.to_dense()")
    if t.is_floating_point() and t.dtype != torch.float16 and t.element_size() < 4:
        t = t.float()
    try:
        return t.numpy()
    except TypeError as e:
        raise DataError(f"{path}: tensor `{key}` is of a type numpy cannot hold ({e})") from None


def image_shape(inputs: list[InputInfo], what: str = "images:DIR") -> tuple[int, int, int]:
    """``(channels, height, width)`` of a spec's single image input, else :class:`DataError`."""
    if len(inputs) != 1 or inputs[0].dtype != "float" or len(inputs[0].shape) != 3 \
            or not all(isinstance(d, int) for d in inputs[0].shape) or inputs[0].shape[0] not in (1, 3):
        shapes = ", ".join(f"{i.name}: {shape_str(i.shape)}" for i in inputs)
        raise DataError(f"{what} needs one image input [1 or 3, H, W]; the spec declares {shapes}")
    return inputs[0].shape


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise DataError("reading images needs Pillow", hint="pip install pillow") from None
    return Image


#: what Pillow raises for a damaged or hostile file, besides its own errors: broken PNG chunks
#: are a SyntaxError, a cut header an EOFError or struct.error, odd tables an IndexError,
#: KeyError, TypeError or ZeroDivisionError (OSError covers UnidentifiedImageError)
_PIL_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError, TypeError,
               ZeroDivisionError)


def decode(path: str, read):
    """``read(image)`` of the image file at ``path``, opened with Pillow: the one place image
    files are opened, so that each is checked to be a regular file first (a FIFO would block),
    refused when it holds more pixels than Pillow's guard allows, and every error the file can
    cause in Pillow becomes a :class:`DataError` naming it."""
    Image = _pillow()
    check_file(path)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its pixel limit and twice it, then decodes anyway
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                return read(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise DataError(f"{path}: refused, too many pixels to decode safely ({e})",
                        hint=f"one image may hold at most {Image.MAX_IMAGE_PIXELS:,} pixels; shrink it first") from None
    except _PIL_ERRORS as e:
        raise DataError(f"{path}: not a readable image ({type(e).__name__}: {e})" if isinstance(e, SyntaxError | TypeError)
                        else f"{path}: not a readable image ({e})") from None


def read_image(path: str, shape: tuple[int, int, int]) -> np.ndarray:
    """One image file as uint8 ``[C, H, W]``: grey (C = 1) or RGB (C = 3), resized bilinearly
    to ``H × W`` -- what training and ``nnspec predict`` both see."""
    Image = _pillow()
    channels, height, width = shape

    def read(im):
        im = im.convert("L" if channels == 1 else "RGB").resize((width, height), Image.BILINEAR)
        return np.array(im, dtype=np.uint8)  # a copy: asarray of a Pillow image is read-only

    array = decode(path, read)
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def read_mask(path: str, shape: tuple[int, int, int]) -> np.ndarray:
    """One mask file as int64 ``[H, W]`` of class ids (a greyscale or palette image's pixel
    values), resized with the nearest pixel so that no id is blended into another."""
    Image = _pillow()
    _, height, width = shape

    def read(im):
        if im.mode not in ("L", "P", "1", "I", "I;16"):
            raise DataError(f"{path}: a mask holds one class id per pixel, but this image is {im.mode}",
                            hint="save masks as greyscale or palette images")
        return np.array(im.resize((width, height), Image.NEAREST), dtype=np.int64)  # writable, as read_image

    return decode(path, read)


def _image_files(folder: str) -> list[str]:
    return [f for f in sorted(os.listdir(folder)) if f.lower().endswith(IMAGE_EXTENSIONS)]


def _segmentation(directory: str, shape: tuple[int, int, int]) -> Raw:
    """``DIR/images/*`` with their masks ``DIR/masks/*`` (same file name, any image type)."""
    image_dir, mask_dir = os.path.join(directory, "images"), os.path.join(directory, "masks")
    masks = {os.path.splitext(f)[0]: f for f in _image_files(mask_dir)}
    pixels, labels = [], []
    for file in _image_files(image_dir):
        stem = os.path.splitext(file)[0]
        if stem not in masks:
            raise DataError(f"{os.path.join(image_dir, file)} has no mask in {mask_dir}",
                            hint=f"give each image a mask of the same name, e.g. {stem}.png")
        pixels.append(read_image(os.path.join(image_dir, file), shape))
        labels.append(read_mask(os.path.join(mask_dir, masks[stem]), shape))
    if not pixels:
        raise DataError(f"{image_dir} holds no images", hint=f"expected files ending in {', '.join(IMAGE_EXTENSIONS)}")
    y = np.stack(labels)
    if y.max() == 255 and set(np.unique(y).tolist()) <= {0, 255}:
        y = y // 255  # a binary mask saved as black and white
    return Raw(f"images:{directory}", y, [unit_scale(np.stack(pixels))])


SPLITS = ("val", "valid", "validation")  # names of the validation folder beside DIR/train


def images(directory: str, inputs: list[InputInfo]) -> Raw:
    """Class-per-folder images (``DIR/cat/1.png``), converted and resized to the spec's input
    (``DIR/train/CLASS/`` with ``DIR/val/CLASS/``: the validation images are the source's own
    held-out set, labelled with the training classes' ids);
    or, with ``DIR/images/`` and ``DIR/masks/``, images and their masks of class ids
    (segmentation; masks resized with the nearest pixel; a mask of only 0 and 255 reads as 0/1)."""
    check_path("images", directory, directory=True)
    shape = image_shape(inputs)
    if os.path.isdir(os.path.join(directory, "images")) and os.path.isdir(os.path.join(directory, "masks")):
        return _segmentation(directory, shape)
    train = os.path.join(directory, "train")
    if os.path.isdir(train) and any(os.path.isdir(os.path.join(train, d)) for d in os.listdir(train)):
        raw = _image_folder(train, shape, f"images:{directory}")
        val = next((os.path.join(directory, v) for v in SPLITS if os.path.isdir(os.path.join(directory, v))), None)
        if val is not None:
            raw.test = _image_folder(val, shape, f"images:{directory}").relabelled(raw.classes)
        return raw
    return _image_folder(directory, shape, f"images:{directory}")


def _image_folder(directory: str, shape, source: str) -> Raw:
    classes = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
    if not classes:
        raise DataError(f"{directory} has no class folders",
                        hint="put each class's images in DIR/CLASS/ (or, for segmentation, DIR/images/ and DIR/masks/)")
    files, labels = [], []
    for label, name in enumerate(classes):
        folder = os.path.join(directory, name)
        found = _image_files(folder)
        if not found:
            raise DataError(f"images:{directory}: the class folder `{printable(name)}` holds no images",
                            hint=f"add images ending in {', '.join(IMAGE_EXTENSIONS)}, or remove the folder "
                                 "(every folder is a class)")
        files += [os.path.join(folder, f) for f in found]
        labels += [label] * len(found)
    # uint8, as read, filled in place: memory holds the images once (scaled and normalised
    # batch by batch on the device)
    labels = np.array(labels, dtype=np.int64)
    if streams(len(files) * int(np.prod(shape))):
        return Raw(source, labels, [ImageFiles(files, shape)], classes=classes)
    pixels = np.empty((len(files), *shape), dtype=np.uint8)
    for i, path in enumerate(files):
        pixels[i] = read_image(path, shape)
    return Raw(source, labels, [pixels], classes=classes)


def streams(nbytes: int) -> bool:
    """Whether images of ``nbytes`` (uint8, decoded) are streamed from disk rather than held:
    ``NNSPEC_STREAM=1`` always, ``0`` never, otherwise (``auto``) when they would take more than
    half the machine's physical memory."""
    setting = os.environ.get("NNSPEC_STREAM", "auto")
    if setting not in ("0", "1", "auto"):
        raise DataError(f"NNSPEC_STREAM is 0, 1 or auto, got {setting!r}")
    if setting != "auto":
        return setting == "1"
    return nbytes > os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2


class ImageFiles:
    """Image files read on demand: an array-like ``[N, C, H, W]`` of uint8 for a folder too large
    to hold. Indexing with an index array gives the files at those rows (a split);
    :meth:`read` decodes rows as :func:`read_image` does. Batches come through
    :meth:`nnspec.train.data.Data.batches` (a ``DataLoader`` with worker processes).

    >>> ImageFiles(["a.png", "b.png"], (3, 8, 8))[np.array([1])].files
    ['b.png']
    """

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, files: list[str], shape: tuple[int, int, int]):
        self.files, self.image = list(files), tuple(shape)

    @property
    def shape(self) -> tuple:
        return (len(self.files), *self.image)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index) -> ImageFiles:
        return ImageFiles([self.files[int(i)] for i in np.asarray(index).reshape(-1)], self.image)

    def read(self, rows) -> np.ndarray:
        """The decoded images at ``rows``, uint8 ``[len(rows), C, H, W]``."""
        out = np.empty((len(rows), *self.image), dtype=np.uint8)
        for k, i in enumerate(rows):
            out[k] = read_image(self.files[int(i)], self.image)
        return out
