"""Multi-head attention over sequences: ``attention`` (PyTorch ``MultiheadAttention``, batch first)."""

from __future__ import annotations

from ..code import Code, Index, call
from ..dims import shape_str
from ..shapes import ShapeError
from .base import Layer, TensorType, need_concrete, need_divisor
from .schema import ArgsModel, Bool, Field, Int, Number

# Emitted once at the top of generated code; the generated file imports only torch.
ATTENTION_RUNTIME = '''\
def padding_mask(kv: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """True at the padding of the sequences kv [B, S, D], whose true lengths are given:
    attention never attends to it."""
    return torch.arange(kv.shape[1], device=kv.device) >= lengths.to(kv.device)[:, None]


def causal_mask(q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
    """True where position i of q [B, T, D] would see a later position of kv [B, S, D]."""
    return torch.ones(q.shape[1], kv.shape[1], dtype=torch.bool, device=q.device).triu(1)
'''


class AttentionArgs(ArgsModel):
    heads: Int = Field(gt=0)
    dropout: Number = Field(0, ge=0, le=1)
    bias: Bool = True
    causal: Bool = False


class Attention(Layer):
    """Multi-head scaled dot-product attention: ``[T, D] -> [T, D]``.

    ``attention(heads)`` is self-attention; ``attention(heads, memory)`` attends from the
    current value to the named value ``memory`` (``[S, D]``: cross-attention). ``heads`` must
    divide ``D``. ``dropout`` applies to the attention weights while training; ``causal=true``
    lets position ``i`` see positions up to ``i`` only; when the attended sequence is padded
    (from an ``int`` input with ``pad=``) its padding is masked out. The parameters are
    ``nn.MultiheadAttention``'s, in its order: the packed query/key/value projection
    ``[3·D, D]`` and its bias, then the output projection: ``4·D² + 4·D`` (``4·D²`` without
    ``bias``). Example: ``attention(12)`` on ``[197, 768]`` has 2,362,368 parameters.
    """

    kind = "attention"
    example = ("[T] int pad=0", "let e = embedding(9, 8)\n  let m = e -> attention(2, causal=true)\n  e -> attention(4, m)")
    synonyms = ("multiheadattention", "mha", "selfattention", "multiheadselfattention")
    family = "attention"
    Args = AttentionArgs
    values = 1
    runtime = ATTENTION_RUNTIME

    def infer(self, x: TensorType) -> TensorType:
        return self.infer_many([x])

    def infer_many(self, xs: list[TensorType]) -> TensorType:
        x = xs[0]
        if len(x.shape) != 2:
            raise ShapeError(
                f"`attention` needs a sequence [T, D], got {shape_str(x.shape)}",
                hint="turn an image into a sequence of positions first: `reshape([C, -1]) -> permute([1, 0])`"
                if len(x.shape) > 2 else None,
            )
        d = need_concrete(x.shape[1], "the feature dimension of `attention`")
        need_divisor(d, "heads", self.args.heads, "features", x)
        self.keys = xs[-1].shape[0]  # the attended sequence's length, for the MAC count
        if len(xs) > 1:
            m = xs[1]
            if len(m.shape) != 2 or m.shape[1] != d:
                raise ShapeError(
                    f"`attention` from {shape_str(x.shape)} needs the attended value to be a sequence "
                    f"[S, {d}], got {shape_str(m.shape)}",
                    hint=f"project it to {d} features with `dense({d})` first" if len(m.shape) == 2 else None,
                )
        return x

    def param_count(self, x: TensorType) -> int:
        d = x.shape[1]
        return 4 * d * d + (4 * d if self.args.bias else 0)

    def kept_extra(self, xs, y):
        """Besides its inputs: the projected queries, keys and values, the attention's output
        (read by the output projection) and a log-sum-exp per query and head (PyTorch's fused
        kernel); with dropout, the unfused path's weights, mask and dropped weights too. A
        causal mask is one per batch."""
        (t, d), s = xs[0].shape, xs[-1].shape[0]
        kept = 4 * ((2 * t + 2 * s) * d + t * self.args.heads)
        if self.args.dropout:
            kept = kept + 4 * (3 * t * s * self.args.heads + 2 * t * d)
        mask = t * s * 4 if self.args.causal and isinstance(t * s, int) else 0
        return kept, mask

    def macs(self, x: TensorType, y: TensorType):
        t, d = x.shape
        s = getattr(self, "keys", t)
        # query and output projections at each query, key and value projections at each key,
        # then the scores and the weighted sum of the values
        return 2 * t * d * d + 2 * s * d * d + 2 * t * s * d

    def module_code(self, x: TensorType) -> Code:
        a = self.args
        return call(
            "nn.MultiheadAttention",
            x.shape[1],
            a.heads,
            dropout=self.changed("dropout", float),
            bias=self.changed("bias"),
            batch_first=True,
        )

    def forward_code(self, module, xs, types, lengths=None):
        q, kv = xs[0], xs[-1]  # self-attention: the queries are the keys and values
        padded = lengths is not None and types[-1].masked  # the attended sequence's padding
        return Index(call(
            module, q, kv, kv,
            key_padding_mask=call("padding_mask", kv, lengths) if padded else None,
            attn_mask=call("causal_mask", q, kv) if self.args.causal else None,
            need_weights=False,
        ), (0,))

    def describe(self) -> str:
        return f"attention {self.args.heads} heads" + (" causal" if self.args.causal else "")
