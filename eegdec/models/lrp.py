"""Layer-wise relevance propagation (LRP) for eegdec's torch models.

LRP (Bach et al. 2015, PLoS ONE; used for saliency in "Beyond saliency", Li et al. 2017,
arXiv:1712.08268) sends the target logit back through the network layer by layer, dividing
each layer's relevance among its inputs in proportion to their contributions ``x_i w_ij``. Here
every affine layer uses the LRP-epsilon rule ``R_i = sum_j x_i w_ij R_j / (z_j + eps sign z_j)``
(Montavon et al. 2019) and element-wise activations pass relevance through unchanged. Two
engines implement it:

``captum``
    captum's :class:`~captum.attr.LRP`, for models that are a chain of layers it has rules for
    (``nn.Sequential`` all the way down: EEGNet, ShallowConvNet, DeepConvNet). captum's rules
    are chosen by exact layer type and know only a few 2-D layers, so eegdec attaches them
    itself: epsilon for every affine layer (Linear and Conv of any dimension, also braindecode's
    max-norm parametrised ones and ``CombinedConv``, BatchNorm in eval mode, average pooling,
    max pooling as captum does), identity (pass-through) for element-wise activations
    (ReLU, ELU, GELU, SiLU, Tanh, braindecode's ``Square`` and ``SafeLog``) and dropout, and no
    rule at all (plain gradient) for layers that only reshape.

``conservative``
    For models whose forward is more than a chain (residual connections, attention, gating):
    LRP computed as gradient x input on a modified backward pass, the formulation of Ali et al.
    2022 ("XAI for Transformers: Better Explanations through Conservative Propagation", ICML).
    Every torch operation of the forward pass is intercepted (a ``TorchFunctionMode``) and
    given a rule: affine operations (linear, convolutions, sums, reshapes, pooling, BatchNorm
    in eval mode) pass gradients unchanged, with the epsilon rule on linear and convolution
    outputs; attention weights and gates (softmax, sigmoid, scaled-dot-product attention) are
    treated as constants (Ali et al.'s AH rule); LayerNorm / GroupNorm / L2 normalisation keep
    their centring but treat the divisor as a constant (their LN rule); element-wise
    activations ``y = f(x)`` become ``x * (f(x) / x)`` with the ratio constant, so relevance
    passes through them as LRP's identity rule does; a product of two input-dependent tensors
    (gating, ``x * g(x)``) gives each factor half the relevance (the uniform rule of AttnLRP,
    Achtibat et al. 2024). Parameters are frozen during the pass, so products with weights
    stay affine. An operation with no rule (e.g. ``cos``, ``log``, a variance) stops the
    pass with a one-line :class:`LRPUnsupportedError` naming it.

:data:`LRP_SUPPORTED` lists the registered models LRP supports (tests check that it holds and
that every other model fails with the one-line error); docs/interpret.md explains the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from eegdec.errors import BadInputError

ENGINES = ("auto", "captum", "conservative")
DEFAULT_EPSILON = 1e-6

#: Registered models that LRP supports, with the engine ``engine="auto"`` picks; every other
#: registered model raises :class:`LRPUnsupportedError` (fbcnet and ifnet: FFT filter banks and
#: log-variance; msvtnet: ``nn.MultiheadAttention``'s fused kernel; spartan: cos/sin of a learned
#: phase). tests/test_interpret_lrp.py keeps this listing in step with the models.
LRP_CAPTUM = (
    "deepconvnet", "eegnet", "eegnet-paper", "shallowconvnet",
)
LRP_CONSERVATIVE = (
    "ascan", "ascan-small", "atcnet", "convit", "convit-small", "convnext", "convnext-small",
    "crossvit", "crossvit-small", "ctnet", "cvt", "cvt-small", "dbconformer", "dico",
    "dico-small", "duoformer", "duoformer-small", "eegconformer", "eeginceptionmi", "eegnex",
    "eegtcnet", "glmix", "glmix-small", "halonet", "halonet-small", "hornet", "hornet-small",
    "inceptionnext", "inceptionnext-small", "inceptionresnet", "inceptionresnet-small",
    "lsnet", "lsnet-small", "ninformer", "ninformer-small", "transnext", "transnext-small",
    "tvconv", "tvconv-small", "unireplknet", "unireplknet-small", "wavemix", "wavemix-small",
)
LRP_SUPPORTED: dict[str, str] = {**dict.fromkeys(LRP_CAPTUM, "captum"),
                                 **dict.fromkeys(LRP_CONSERVATIVE, "conservative")}


class LRPUnsupportedError(BadInputError):
    """The model has a layer or operation without an LRP rule."""


# -- shared -------------------------------------------------------------------------------------
def _epsilon_gradient(z: torch.Tensor, eps: float) -> torch.Tensor:
    """``z`` itself, but the gradient through it is scaled by ``z / (z + eps sign z)``."""
    sign = torch.where(z >= 0, 1.0, -1.0).to(z.dtype)
    c = (z / (z + eps * sign)).detach()
    return z * c + (z * (1 - c)).detach()


def _unwrap(model: nn.Module) -> nn.Module:
    inner = getattr(model, "model", None)  # eegdec's BraindecodeModel wrapper
    return inner if isinstance(inner, nn.Module) and hasattr(model, "n_outputs") else model


# -- captum engine ------------------------------------------------------------------------------
def _captum_classes() -> tuple[dict[str, tuple[type, ...]], tuple[type, ...]]:
    """Layer classes by rule (affine / identity / shape) and composites that act as one layer."""
    affine: list[type] = [nn.Linear, nn.Conv1d, nn.Conv2d, nn.BatchNorm1d, nn.BatchNorm2d,
                          nn.AvgPool1d, nn.AvgPool2d, nn.AdaptiveAvgPool1d,
                          nn.AdaptiveAvgPool2d, nn.MaxPool1d, nn.MaxPool2d]
    identity: list[type] = [nn.ReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Tanh, nn.LeakyReLU,
                            nn.Dropout, nn.Dropout1d, nn.Dropout2d]
    shape: list[type] = [nn.Flatten, nn.Unflatten, nn.Identity]
    composite: list[type] = []
    try:
        from einops.layers.torch import Rearrange

        shape.append(Rearrange)
    except ImportError:  # pragma: no cover - einops comes with braindecode
        pass
    try:
        from braindecode.modules import (
            CombinedConv,
            Ensure4d,
            SafeLog,
            Square,
            SqueezeFinalOutput,
        )

        affine.append(CombinedConv)  # one conv2d with merged temporal x spatial weights
        identity += [Square, SafeLog]
        shape += [Ensure4d, SqueezeFinalOutput]
        composite += [CombinedConv, SqueezeFinalOutput]
    except ImportError:  # pragma: no cover
        pass
    return ({"affine": tuple(affine), "identity": tuple(identity), "shape": tuple(shape)},
            tuple(composite))


def _is_parametrized(module: nn.Module) -> bool:
    from torch.nn.utils import parametrize

    return parametrize.is_parametrized(module)


def captum_layers(model: nn.Module) -> list[tuple[nn.Module, str]] | str:
    """``[(layer, rule kind)]`` when captum's LRP can explain ``model`` exactly, else the
    reason it cannot (a module that is neither a ``nn.Sequential`` nor a layer with a rule)."""
    classes, composites = _captum_classes()
    found: list[tuple[nn.Module, str]] = []

    def visit(module: nn.Module) -> str | None:
        as_layer = (not list(module.children()) or isinstance(module, composites)
                    or _is_parametrized(module))
        if as_layer:
            kind = next((k for k, types in classes.items() if isinstance(module, types)), None)
            if kind is None:
                return f"no LRP rule for layer {type(module).__name__}"
            found.append((module, kind))
            return None
        if type(module).forward is not nn.Sequential.forward:
            return (f"{type(module).__name__} is not a chain of layers (its forward has its own "
                    "code)")
        for child in module.children():
            reason = visit(child)
            if reason:
                return reason
        return None

    reason = visit(_unwrap(model))
    return reason if reason else found


def _captum_attribution(model: nn.Module, layers: list[tuple[nn.Module, str]], x: torch.Tensor,
                        target: torch.Tensor, eps: float) -> torch.Tensor:
    from captum.attr import LRP
    from captum.attr._utils.lrp_rules import EpsilonRule, IdentityRule, PropagationRule

    class ShapeRule(PropagationRule):
        """No hooks: a layer that only moves values around passes the gradient as it is."""

        def forward_hook(self, module, inputs, outputs):  # noqa: ANN001, ANN201
            return outputs

        def _manipulate_weights(self, module, inputs, outputs) -> None:  # noqa: ANN001
            pass

    class ChainLRP(LRP):
        def _get_layers(self, model: nn.Module) -> None:  # the layers found above, in order
            self.layers.extend(layer for layer, _ in layers)

    make = {"affine": lambda: EpsilonRule(epsilon=eps), "identity": IdentityRule,
            "shape": ShapeRule}
    for layer, kind in layers:
        layer.rule = make[kind]()
    try:
        return ChainLRP(model).attribute(x.detach().clone().requires_grad_(True), target=target)
    finally:
        for layer, _ in layers:
            if hasattr(layer, "rule"):
                del layer.rule


# -- conservative engine ------------------------------------------------------------------------
_PASS = frozenset("""
__get__ size dim numel ndimension view view_as reshape reshape_as flatten unflatten transpose
permute contiguous squeeze unsqueeze expand expand_as repeat __getitem__ narrow select split
split_with_sizes chunk unbind cat concat concatenate stack hstack vstack unfold clone to float
double half type_as movedim moveaxis swapaxes t flip roll __add__ __radd__ __iadd__ add __sub__
__rsub__ __isub__ sub __neg__ neg sum mean cumsum diff avg_pool1d avg_pool2d adaptive_avg_pool1d
adaptive_avg_pool2d max_pool1d max_pool2d _max_pool1d _max_pool2d max_pool1d_with_indices
max_pool2d_with_indices index_select gather masked_fill dropout dropout1d dropout2d
feature_dropout alpha_dropout detach requires_grad_ __len__ __iter__ __format__ __repr__
__bool__ tolist item data_ptr is_floating_point is_contiguous stride element_size storage_offset
new_zeros new_ones new_empty new_full zeros_like ones_like empty_like full_like __eq__ __ne__
__lt__ __le__ __gt__ __ge__ eq ne lt le gt ge isfinite isnan argmax argmin sign __contains__
__hash__ get_device nelement
""".split())
_AFFINE = frozenset({"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                     "conv_transpose2d"})
_GATES = frozenset({"softmax", "_softmax", "log_softmax", "sigmoid", "hardsigmoid"})
_NORMS = frozenset({"norm", "vector_norm", "linalg_vector_norm"})
_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu, "gelu": nn.functional.gelu, "elu": nn.functional.elu,
    "silu": nn.functional.silu, "leaky_relu": nn.functional.leaky_relu, "tanh": torch.tanh,
    "relu6": nn.functional.relu6, "hardswish": nn.functional.hardswish,
    "mish": nn.functional.mish, "softplus": nn.functional.softplus, "clamp": torch.clamp,
    "clip": torch.clamp, "log": torch.log,
}
_PRODUCTS = frozenset({"mul", "__mul__", "__rmul__", "__imul__", "matmul", "__matmul__",
                       "__rmatmul__", "bmm", "einsum", "mm", "multiply", "__truediv__", "div",
                       "divide", "__pow__", "pow", "square"})


def _pass_through(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``y = f(x)`` element-wise, rewritten ``x * (y / x)`` with the ratio constant: relevance
    passes through unchanged (LRP's identity rule for activations)."""
    nonzero = x.abs() > 1e-12
    ratio = torch.where(nonzero, y / torch.where(nonzero, x, torch.ones_like(x)),
                        torch.zeros_like(x))
    return x * ratio.detach()


def _flat(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out += _flat(v)
        else:
            out.append(v)
    return out


def _grad_tensors(args: tuple, kwargs: dict) -> list[torch.Tensor]:
    return [v for v in _flat(list(args) + list(kwargs.values()))
            if isinstance(v, torch.Tensor) and v.requires_grad]


def _detach_all(values: Any) -> Any:
    if isinstance(values, torch.Tensor):
        return values.detach()
    if isinstance(values, (list, tuple)):
        return type(values)(_detach_all(v) for v in values)
    return values


class _ConservativeMode(TorchFunctionMode):
    """Gives every torch operation of a forward pass its LRP rule (see the module docstring)."""

    def __init__(self, eps: float) -> None:
        super().__init__()
        self.eps = eps

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        grads = _grad_tensors(args, kwargs)
        if not grads:
            return func(*args, **kwargs)
        name = getattr(func, "__name__", str(func))
        in_place = name.endswith("_") and not name.startswith("__")
        base = name.rstrip("_") if in_place else name
        if base in _PASS:
            return func(*args, **kwargs)
        if in_place:  # the rules below return new tensors, which an in-place call would drop
            raise self.unsupported(f"the in-place operation {name!r}")
        if base == "pad":
            mode = kwargs.get("mode", args[2] if len(args) > 2 else "constant")
            if mode != "constant":
                raise self.unsupported(f"padding mode {mode!r}")
            return func(*args, **kwargs)
        if base in _AFFINE:
            return _epsilon_gradient(func(*args, **kwargs), self.eps)
        if base in _GATES or base in _NORMS:
            return _detach_all(func(*args, **kwargs))
        if base in _ACTIVATIONS:
            if kwargs.get("inplace"):  # nn.ELU(inplace=True) and the like use the result
                kwargs = {**kwargs, "inplace": False}
            return _pass_through(args[0], func(*args, **kwargs))
        if base == "batch_norm":
            training = kwargs.get("training", args[5] if len(args) > 5 else False)
            if training:
                raise self.unsupported("batch_norm in training mode")
            return func(*args, **kwargs)
        if base in ("layer_norm", "group_norm"):
            return self.normalise(base, args, kwargs)
        if base == "normalize":
            return self.l2_normalise(args, kwargs)
        if base == "scaled_dot_product_attention":
            return self.attention(args, kwargs)
        if base in _PRODUCTS:
            return self.product(func, base, args, kwargs, grads)
        raise self.unsupported(f"torch operation {name!r}")

    @staticmethod
    def unsupported(what: str) -> LRPUnsupportedError:
        return LRPUnsupportedError(
            f"LRP has no rule for {what}; use method='input_x_gradient' or "
            "'integrated_gradients' for this model (LRP-capable models: "
            "eegdec.models.lrp.LRP_SUPPORTED, docs/interpret.md)."
        )

    def product(self, func: Callable, base: str, args: tuple, kwargs: dict,
                grads: list[torch.Tensor]) -> torch.Tensor:
        operands = [a for a in _flat(list(args)) if isinstance(a, torch.Tensor)]
        if len(grads) == 1 and base not in ("__pow__", "pow", "square", "__truediv__", "div",
                                            "divide"):
            return func(*args, **kwargs)  # one input-dependent factor: affine in it
        if base in ("__truediv__", "div", "divide"):
            if len(args) > 1 and isinstance(args[1], torch.Tensor) and args[1].requires_grad:
                raise self.unsupported("division by an input-dependent tensor")
            return func(*args, **kwargs)
        if base in ("__pow__", "pow", "square"):
            return _pass_through(args[0], func(*args, **kwargs))
        if len(operands) != 2:
            raise self.unsupported(f"{base} of {len(operands)} input-dependent tensors")
        if operands[0] is operands[1]:  # x * x: an element-wise square
            return _pass_through(operands[0], func(*args, **kwargs))

        def call(replace: dict[int, torch.Tensor]) -> torch.Tensor:
            def sub(v: Any) -> Any:
                if isinstance(v, torch.Tensor) and id(v) in replace:
                    return replace[id(v)]
                if isinstance(v, (list, tuple)):
                    return type(v)(sub(w) for w in v)
                return v
            return func(*sub(list(args)), **kwargs)

        a, b = operands
        first = call({id(b): b.detach()})
        second = call({id(a): a.detach()})
        return 0.5 * (first + second)

    def normalise(self, base: str, args: tuple, kwargs: dict) -> torch.Tensor:
        x = args[0]
        if base == "layer_norm":
            shape = args[1] if len(args) > 1 else kwargs["normalized_shape"]
            weight = args[2] if len(args) > 2 else kwargs.get("weight")
            bias = args[3] if len(args) > 3 else kwargs.get("bias")
            eps = args[4] if len(args) > 4 else kwargs.get("eps", 1e-5)
            dims = tuple(range(-len(tuple(shape)), 0))
            centred = x - x.mean(dim=dims, keepdim=True)
            out = centred / (centred.detach().pow(2).mean(dim=dims, keepdim=True) + eps).sqrt()
        else:
            groups = args[1] if len(args) > 1 else kwargs["num_groups"]
            weight = args[2] if len(args) > 2 else kwargs.get("weight")
            bias = args[3] if len(args) > 3 else kwargs.get("bias")
            eps = args[4] if len(args) > 4 else kwargs.get("eps", 1e-5)
            g = x.reshape(x.shape[0], groups, -1)
            centred = g - g.mean(dim=-1, keepdim=True)
            out = (centred / (centred.detach().pow(2).mean(dim=-1, keepdim=True) + eps).sqrt()
                   ).reshape(x.shape)
            shape_c = (1, -1) + (1,) * (x.ndim - 2)
            weight = None if weight is None else weight.reshape(shape_c)
            bias = None if bias is None else bias.reshape(shape_c)
        if weight is not None:
            out = out * weight
        if bias is not None:
            out = out + bias
        return out

    def l2_normalise(self, args: tuple, kwargs: dict) -> torch.Tensor:
        x = args[0]
        p = args[1] if len(args) > 1 else kwargs.get("p", 2.0)
        dim = args[2] if len(args) > 2 else kwargs.get("dim", 1)
        eps = args[3] if len(args) > 3 else kwargs.get("eps", 1e-12)
        norm = x.detach().norm(p=p, dim=dim, keepdim=True).clamp_min(eps)
        return x / norm

    def attention(self, args: tuple, kwargs: dict) -> torch.Tensor:
        names = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale")
        params = dict(zip(names, args)) | kwargs
        q, k, v = params["query"], params["key"], params["value"]
        scale = params.get("scale") or q.shape[-1] ** -0.5
        logits = (q @ k.transpose(-2, -1)) * scale
        mask = params.get("attn_mask")
        if params.get("is_causal"):
            n, m = logits.shape[-2:]
            mask = torch.ones(n, m, dtype=torch.bool, device=q.device).tril()
        if mask is not None:
            logits = (logits.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool
                      else logits + mask)
        return torch.softmax(logits, dim=-1).detach() @ v


def _conservative_attribution(model: nn.Module, x: torch.Tensor, target: torch.Tensor,
                              eps: float) -> torch.Tensor:
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        x = x.detach().clone().requires_grad_(True)
        with torch.enable_grad(), _ConservativeMode(eps):
            out = model(x)
            if isinstance(out, tuple):
                out = out[0]
            score = out.gather(1, target.view(-1, 1)).sum()
        score.backward()
        return (x * x.grad).detach()
    finally:
        for p in frozen:
            p.requires_grad_(True)


# -- entry points -------------------------------------------------------------------------------
def lrp_engine(model: nn.Module, engine: str = "auto") -> str:
    """The engine ``lrp_attribution`` would use for ``model`` (``captum`` or ``conservative``)."""
    if engine not in ENGINES:
        raise BadInputError(f"Unknown LRP engine {engine!r}: choose one of {ENGINES}.")
    layers = captum_layers(model)
    if engine == "captum" and isinstance(layers, str):
        raise LRPUnsupportedError(
            f"captum's LRP cannot explain {type(_unwrap(model)).__name__}: {layers}; use "
            "engine='conservative' (or 'auto')."
        )
    return "captum" if not isinstance(layers, str) and engine != "conservative" else "conservative"


def lrp_attribution(model: nn.Module, x: torch.Tensor, target: torch.Tensor, *,
                    epsilon: float = DEFAULT_EPSILON, engine: str = "auto"
                    ) -> tuple[torch.Tensor, str]:
    """Relevance of every input sample for the ``target`` logit, shaped like ``x``, and the
    engine used. ``model`` must be in eval mode; relevance sums to about the target logit minus
    what biases and ``epsilon`` absorb."""
    used = lrp_engine(model, engine)
    target = target.long().to(x.device)
    if used == "captum":
        layers = captum_layers(model)
        assert not isinstance(layers, str)
        return _captum_attribution(model, layers, x, target, epsilon).detach(), used
    try:
        return _conservative_attribution(model, x, target, epsilon), used
    except LRPUnsupportedError as exc:
        raise LRPUnsupportedError(f"{type(_unwrap(model)).__name__}: {exc}") from None
