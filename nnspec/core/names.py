"""Names: which spec names can name what, checked while elaborating so that ``check``
and ``compile`` agree, and how a spec name becomes a name of the generated Python.

A label names a PyTorch submodule, so it must be a plain attribute name: not a Python
keyword, not one of ``nn.Module``'s (``forward``, ``training``) and not private
(``_modules``). No spec name may start with ``__``: Python gives those names meanings of its
own (``__class__``, ``__dict__``, and name mangling inside a class). Every other name is
written into the generated source as itself, or with a trailing ``_`` when Python or the
generated module already uses it (``class_``, ``super_``, ``torch_``).

>>> label_problem("forward")
('`forward` cannot name a module: PyTorch modules reserve that attribute', 'rename the label')
>>> python_name("super", frozenset()), python_name("lambda", frozenset()), python_name("width", frozenset())
('super_', 'lambda_', 'width')
"""

from __future__ import annotations

import builtins
import keyword

# Attribute names of nn.Module, nn.ModuleList and nn.ModuleDict: a submodule of one of these
# names cannot be registered (torch refuses, or the attribute shadows it). Kept as data so that
# checking and generating source never import torch; tests compare it with torch's own.
TORCH_RESERVED = frozenset(
    """T_destination add_module append apply bfloat16 buffers call_super_init children clear compile
    cpu cuda double dump_patches eval extend extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half insert ipu items keys load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters pop register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
    register_full_backward_pre_hook register_load_state_dict_post_hook
    register_load_state_dict_pre_hook register_module register_parameter
    register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state
    set_submodule share_memory state_dict to to_empty train training type update values xpu
    zero_grad""".split()  # noqa: SIM905 (a word list reads better than 90 quoted strings)
)

#: names the generated module binds at its top level or in every forward
TOP_NAMES = frozenset({"torch", "nn", "F", "self", "lengths"})

#: names Python itself gives a meaning: a spec name that is one of them gets a trailing `_`
PYTHON_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


def name_problem(name: str) -> tuple[str, str] | None:
    """Why a spec name of any kind (network, block, parameter, input, value, label) cannot
    be one, as (message, hint); None when it can."""
    if name.startswith("__"):
        return (f"`{name}` starts with `__`, which Python reserves for names of its own",
                f"rename it, e.g. `{name.strip('_') or 'x'}`")
    return None


def label_problem(label: str) -> tuple[str, str] | None:
    """Why a label cannot name a PyTorch submodule, as (message, hint); None when it can."""
    if keyword.iskeyword(label):
        return (f"`{label}` is a Python keyword, so it cannot name a PyTorch module",
                f"rename the label, e.g. `{label}_`")
    if label in TORCH_RESERVED or label.startswith("_"):
        return f"`{label}` cannot name a module: PyTorch modules reserve that attribute", "rename the label"
    return None


def python_name(name: str, taken: frozenset | set) -> str:
    """A spec name as a Python identifier of the generated source: itself, or with trailing
    ``_`` while Python, the generated module (``taken``) or another name already has it."""
    while name in PYTHON_NAMES or name in taken:
        name += "_"
    return name
