"""Multi-head attention: ``attention`` (PyTorch ``MultiheadAttention``, batch first, or the
generated ``Attention`` where it needs what that module lacks: projections with biases of
their own, a learned relative-position bias, an added mask, groups attended separately)."""

from __future__ import annotations

from ..code import Code, Index, TupleOf, call
from ..dims import shape_str
from ..shapes import ShapeError, product
from .base import ArgError, Layer, TensorType, need_concrete, need_divisor
from .schema import ArgsModel, Bool, Field, Int, IntOrList, Number

# Emitted once at the top of generated code; the generated file imports only torch.
ATTENTION_RUNTIME = '''\
def padding_mask(kv: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """True at the padding of the sequences kv [B, S, D], whose true lengths are given:
    attention never attends to it."""
    return torch.arange(kv.shape[1], device=kv.device) >= lengths.to(kv.device)[:, None]


def causal_mask(q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
    """True where position i of q [B, T, D] would see a later position of kv [B, S, D]."""
    return torch.ones(q.shape[-2], kv.shape[-2], dtype=torch.bool, device=q.device).triu(1)


def relative_position_index(height: int, width: int) -> torch.Tensor:
    """For each pair (i, j) of the positions of a height x width window, row by row, the row
    of their offset (dy, dx) in a table of (2 * height - 1) x (2 * width - 1) offsets: [N * N]."""
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    y, x = rows.flatten(), cols.flatten()
    dy = y[:, None] - y[None, :] + height - 1
    dx = x[:, None] - x[None, :] + width - 1
    return (dy * (2 * width - 1) + dx).flatten()


class Attention(nn.Module):
    """Multi-head scaled dot-product attention from x [B, ..., T, D] to kv [B, ..., S, D]
    (the dimensions between B and T are groups attended separately, such as windows).

    The projections are one packed qkv (self-attention with one bias setting for q, k and v)
    or query, key and value of their own, then proj. window = (h, w) adds a learned bias per
    head for each offset between two positions of an h x w window (T = S = h * w), read from
    a table through a fixed index; forward adds mask [B, ..., T, S] to the scores, and hides
    later positions (causal) and the padding of kv (padding [B, S], True at padding)."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0, packed: bool = True,
                 biases: tuple = (True, True, True, True), window: tuple = (0, 0), causal: bool = False):
        super().__init__()
        self.heads, self.dropout, self.causal = heads, dropout, causal
        self.scale = (dim // heads) ** -0.5
        height, width = window
        if height:
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * height - 1) * (2 * width - 1), heads))
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
            self.register_buffer("relative_position_index", relative_position_index(height, width))
        else:
            self.register_parameter("relative_position_bias_table", None)
            self.register_buffer("relative_position_index", None)
        if packed:
            self.qkv = nn.Linear(dim, 3 * dim, bias=biases[0])
            self.query = self.key = self.value = None
        else:
            self.qkv = None
            self.query = nn.Linear(dim, dim, bias=biases[0])
            self.key = nn.Linear(dim, dim, bias=biases[1])
            self.value = nn.Linear(dim, dim, bias=biases[2])
        self.proj = nn.Linear(dim, dim, bias=biases[3])

    def heads_first(self, x: torch.Tensor) -> torch.Tensor:
        """[..., T, D] -> [..., heads, T, D / heads]"""
        return x.reshape(list(x.shape[:-1]) + [self.heads, -1]).transpose(-3, -2)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, mask: torch.Tensor | None = None,
                padding: torch.Tensor | None = None) -> torch.Tensor:
        if self.qkv is not None:
            q, k, v = self.qkv(x).chunk(3, dim=-1)
        else:
            assert self.query is not None and self.key is not None and self.value is not None
            q, k, v = self.query(x), self.key(kv), self.value(kv)
        q, k, v = self.heads_first(q), self.heads_first(k), self.heads_first(v)
        scores = (q * self.scale) @ k.transpose(-2, -1)  # [B, ..., heads, T, S]
        if self.relative_position_bias_table is not None and self.relative_position_index is not None:
            n = scores.shape[-1]
            bias = self.relative_position_bias_table[self.relative_position_index]
            scores = scores + bias.view(n, n, -1).permute(2, 0, 1)
        if mask is not None:
            scores = scores + mask.unsqueeze(-3)
        if self.causal:
            scores = scores.masked_fill(causal_mask(x, kv), float("-inf"))
        if padding is not None:
            scores = scores.masked_fill(padding[:, None, None, :], float("-inf"))
        weights = F.dropout(scores.softmax(dim=-1), p=self.dropout, training=self.training)
        out = (weights @ v).transpose(-3, -2)
        return self.proj(out.reshape(list(out.shape[:-2]) + [-1]))
'''

_PROJECTIONS = ("query", "key", "value", "out")


class AttentionArgs(ArgsModel):
    heads: Int = Field(gt=0)
    dropout: Number = Field(0, ge=0, le=1)
    bias: Bool = True
    causal: Bool = False
    query_bias: Bool | None = Field(None, description="defaults to `bias`")
    key_bias: Bool | None = Field(None, description="defaults to `bias`")
    value_bias: Bool | None = Field(None, description="defaults to `bias`")
    out_bias: Bool | None = Field(None, description="defaults to `bias`")
    relative: IntOrList = Field(0, description="the window (side, or [height, width]) of a learned relative-position bias")
    mask: str | None = Field(None, description="the name of a value [..., T, S] added to the scores")


class Attention(Layer):
    """Multi-head scaled dot-product attention: ``[..., T, D] -> [..., T, D]``.

    ``attention(heads)`` is self-attention; ``attention(heads, memory)`` attends from the
    current value to the named value ``memory`` (``[..., S, D]``: cross-attention). ``heads``
    must divide ``D``. Dimensions before ``T`` are groups attended separately (Swin's windows,
    ``[nW, 49, C]``). ``dropout`` applies to the attention weights while training;
    ``causal=true`` lets position ``i`` see positions up to ``i`` only; when the attended
    sequence is padded (from an ``int`` input with ``pad=``) its padding is masked out.

    ``bias`` sets the bias of the four projections; ``query_bias``, ``key_bias``,
    ``value_bias`` and ``out_bias`` set one each (Whisper's key has none: ``key_bias=false``).
    ``relative=7`` adds a learned bias per head for each offset between two positions of a
    7×7 window (``relative=[h, w]``: an ``h×w`` one), so ``T = 49``: a table of
    ``13·13 × heads`` parameters read through a fixed index of ``49·49`` (Swin's, MaxViT's).
    ``mask=m`` adds the named value ``m`` (``[..., T, S]``, its leading dimensions
    broadcasting to the input's) to the scores of every head: Swin's shifted-window mask,
    ``-inf`` where a position must not look.

    Plain, its parameters are ``nn.MultiheadAttention``'s, in its order: the packed
    query/key/value projection ``[3·D, D]`` and its bias, then the output projection:
    ``4·D² + 4·D`` (``4·D²`` without ``bias``). Otherwise the module is the generated ``Attention``:
    the relative-position table, its index (a buffer), the packed ``qkv`` projection (or
    ``query``, ``key`` and ``value`` where their biases differ or it attends to a memory),
    then ``proj``. Example: ``attention(12)`` on ``[197, 768]`` has 2,362,368 parameters.
    """

    kind = "attention"
    example = ("[T] int pad=0", "let e = embedding(9, 8)\n  let m = e -> attention(2, causal=true)\n  e -> attention(4, m)")
    synonyms = ("multiheadattention", "mha", "selfattention", "multiheadselfattention")
    family = "attention"
    Args = AttentionArgs
    values = 1
    value_keywords = ("mask",)
    runtime = ATTENTION_RUNTIME

    def check_args(self):
        r = self.args.relative
        if (isinstance(r, list) and (len(r) != 2 or min(r) < 1)) or (isinstance(r, int) and r < 0):
            raise ArgError(f"`relative` must be a window side (a positive integer) or [height, width], got {r}",
                           arg="relative")

    @property
    def biases(self) -> tuple[bool, bool, bool, bool]:
        """The bias setting of the query, key, value and output projections."""
        a = self.args
        return tuple(a.bias if b is None else b for b in (a.query_bias, a.key_bias, a.value_bias, a.out_bias))

    @property
    def window(self) -> tuple[int, int]:
        """The relative-position bias's window, (0, 0) for none."""
        r = self.args.relative
        return tuple(r) if isinstance(r, list) else (r, r)

    def infer(self, x: TensorType) -> TensorType:
        # self-attention; the code generator also asks with the first input alone, so this
        # records nothing that its other inputs decide
        self.rank = len(x.shape)  # groups before [T, D] need the generated module
        return self.shape(x, None, None)

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        self.rank = len(xs[0].shape)
        mask = xs[-1] if self.args.mask is not None else None
        others = xs[1:-1] if mask is not None else xs[1:]
        y = self.shape(xs[0], others[0] if others else None, mask)
        self.memory = bool(others)
        self.padding_of = 1 if others else 0  # the attended sequence's padding, for forward_code
        self.keys = (others[0] if others else xs[0]).shape[-2]  # the attended length, for the MAC count
        return y

    def shape(self, x: TensorType, memory: TensorType | None, mask: TensorType | None) -> TensorType:
        """The output type from the queries, the memory attended to (None: the queries) and
        the mask (or None); a :class:`ShapeError` where they do not fit."""
        if len(x.shape) < 2 or (len(x.shape) > 2 and not x.channels_last):
            # an image [C, H, W] is no group of sequences: its features are not last
            raise ShapeError(
                f"`attention` needs a sequence [T, D], or groups of them with the features last (windows "
                f"[N, 49, C] of a channels-last image), got {shape_str(x.shape)}",
                hint="turn an image into a sequence of positions first: `reshape([C, -1]) -> permute([1, 0])`"
                if len(x.shape) > 2 else None,
            )
        *lead, t, d = x.shape
        d = need_concrete(d, "the feature dimension of `attention`")
        need_divisor(d, "heads", self.args.heads, "features", x)
        kv = memory if memory is not None else x
        if memory is not None and (len(kv.shape) != len(x.shape) or tuple(kv.shape[:-2]) != tuple(lead) or kv.shape[-1] != d):
            want = shape_str((*lead, "S", d))
            raise ShapeError(
                f"`attention` from {shape_str(x.shape)} needs the attended value to be a sequence {want}, "
                f"got {shape_str(kv.shape)}",
                hint=f"project it to {d} features with `dense({d})` first" if len(kv.shape) == len(x.shape) else None,
            )
        s = kv.shape[-2]
        height, width = self.window
        if height and (t != height * width or s != t):
            raise ShapeError(f"`relative={self.args.relative}` biases the {height * width} positions of a "
                             f"{height}×{width} window, so the sequence must have {height * width} positions, "
                             f"got {shape_str(x.shape)}" + (f" attending to {shape_str(kv.shape)}" if memory is not None else ""),
                             arg="relative", hint="cut the image into windows first: `reshape` and `permute` "
                             f"[H, W, C] to [H / {height} · W / {width}, {height * width}, C]")
        if mask is not None:
            self.check_mask(mask, x, kv)
        if len(x.shape) > 2 and x.masked:
            raise ShapeError(f"`attention` attends over a padded sequence [T, D] only, got {shape_str(x.shape)}")
        return x

    def check_mask(self, mask: TensorType, x: TensorType, kv: TensorType) -> None:
        """The mask must be scores' shape [..., T, S], its leading dimensions the input's or 1."""
        *lead, t, _ = x.shape
        want = (*lead, t, kv.shape[-2])
        m = mask.shape
        fits = (mask.dtype == "float" and 2 <= len(m) <= len(want)
                and all(a == b or a == 1 for a, b in zip(reversed(m[:-2]), reversed(want[:-2])))
                and tuple(m[-2:]) == tuple(want[-2:]))
        if not fits:
            raise ShapeError(f"`mask={self.args.mask}` is added to the scores {shape_str(want)} of each head, so it "
                             f"must be float values of that shape (leading sizes may be 1 or left out), got "
                             f"{'integer ids ' if mask.dtype == 'int' else ''}{shape_str(m)}", arg="mask")

    @property
    def plain(self) -> bool:
        """Whether ``nn.MultiheadAttention`` computes it: one bias setting, no added bias, a
        sequence [T, D]."""
        return (len(set(self.biases)) == 1 and not self.window[0] and self.args.mask is None
                and getattr(self, "rank", 2) == 2)

    @property
    def packed(self) -> bool:
        """Whether the generated module projects queries, keys and values at once (``qkv``):
        in self-attention, with one bias setting for the three."""
        return not getattr(self, "memory", False) and len(set(self.biases[:3])) == 1

    def param_count(self, x: TensorType) -> int:
        d = x.shape[-1]
        height, width = self.window
        table = (2 * height - 1) * (2 * width - 1) * self.args.heads if height else 0
        return 4 * d * d + sum(self.biases) * d + table

    def buffer_count(self, x: TensorType) -> int:
        height, width = self.window
        return (height * width) ** 2

    def kept_inputs(self, inputs: list) -> list:
        """The mask is only added to the scores: its value is not kept."""
        return inputs[:-1] if self.args.mask is not None and len(inputs) > 1 else inputs

    def kept_extra(self, xs, y):
        """Besides its inputs: the projected queries, keys and values, the attention's output
        (read by the output projection) and a log-sum-exp per query and head (PyTorch's fused
        kernel); with dropout, the unfused path's weights, mask and dropped weights too. A
        causal mask is one per batch. The generated ``Attention`` keeps the scaled queries,
        the keys and values (copied for the batched product), the weights and the output
        (read by ``proj``); with dropout, its mask and the dropped weights; a padding mask per
        sample and a causal one per batch, of bytes."""
        x = xs[0]
        (t, d), s, heads = x.shape[-2:], xs[1].shape[-2] if getattr(self, "memory", False) else x.shape[-2], self.args.heads
        if self.plain:
            kept = 4 * ((2 * t + 2 * s) * d + t * heads)
            if self.args.dropout:
                kept = kept + 4 * (3 * t * s * heads + 2 * t * d)
            mask = t * s * 4 if self.args.causal and isinstance(t * s, int) else 0
            return kept, mask
        groups = product(x.shape[:-2])
        kept = 4 * groups * ((2 * t + 2 * s) * d + heads * t * s + (2 * heads * t * s if self.args.dropout else 0))
        if heads == 1 and self.packed:  # one head: the product reads the packed projection itself
            kept = kept + 4 * groups * t * d
        if x.masked and len(x.shape) == 2:
            kept = kept + s
        return kept, (t * s if self.args.causal and isinstance(t * s, int) else 0)

    def macs(self, x: TensorType, y: TensorType):
        *lead, t, d = x.shape
        s = getattr(self, "keys", t)
        # query and output projections at each query, key and value projections at each key,
        # then the scores and the weighted sum of the values
        return product(lead) * (2 * t * d * d + 2 * s * d * d + 2 * t * s * d)

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        if self.plain:
            return call(
                "nn.MultiheadAttention",
                x.shape[1],
                a.heads,
                dropout=self.changed("dropout", float),
                bias=self.changed("bias"),
                batch_first=True,
            )
        biases = self.biases
        return call(
            "Attention",
            x.shape[-1],
            a.heads,
            dropout=self.changed("dropout", float),
            packed=False if not self.packed else None,
            biases=TupleOf(biases) if not all(biases) else None,
            window=TupleOf(self.window) if self.window[0] else None,
            causal=True if a.causal else None,
        )

    def forward_code(self, module, xs, types, lengths=None):
        q = xs[0]
        masked = self.args.mask is not None and len(xs) > 1
        memory = len(xs) > 1 + masked
        kv = xs[1] if memory else q  # self-attention: the queries are the keys and values
        padded = lengths is not None and types[1 if memory else 0].masked  # the attended sequence's padding
        padding = call("padding_mask", kv, lengths) if padded else None
        if not self.plain:
            mask = xs[-1] if masked else None
            return call(module, q, kv, mask=mask, padding=padding)
        return Index(call(
            module, q, kv, kv,
            key_padding_mask=padding,
            attn_mask=call("causal_mask", q, kv) if self.args.causal else None,
            need_weights=False,
        ), (0,))

    def describe(self) -> str:
        a = self.args
        extras = [f"relative {'×'.join(map(str, self.window))}" if self.window[0] else "",
                  "causal" if a.causal else "", "masked" if a.mask is not None else "",
                  " ".join(f"no {p} bias" for p, b in zip(_PROJECTIONS, self.biases) if not b and any(self.biases))]
        return " ".join([f"attention {a.heads} heads", *filter(None, extras)])
