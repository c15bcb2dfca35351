"""Device, seeding, threads and numpy⇄torch helpers — the one module that knows CPU vs GPU.

Every other module asks :func:`device` for a ``torch.device`` and moves tensors with
:func:`to_numpy` (and ``torch.from_numpy(...).to(dev)``); nothing else branches on CUDA.
"""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import numpy as np
import torch

from .cpus import num_threads
from .errors import ConfigError

log = logging.getLogger(__name__)

__all__ = [
    "device",
    "set_seed",
    "set_threads",
    "num_threads",
    "to_numpy",
    "rng_state",
    "set_rng_state",
]


def device(spec: str | torch.device | None = "auto") -> torch.device:
    """Resolve a device spec: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``.

    Under torchrun, ``"auto"`` and ``"cuda"`` mean the GPU of this process's ``LOCAL_RANK``.

    Raises :class:`ConfigError` when CUDA is asked for but not available.
    """
    if isinstance(spec, torch.device):
        return spec
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return _per_process(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {spec!r} asked for, but CUDA is not available here; use --device cpu or auto")
        return _per_process(torch.device(spec))
    if spec == "cpu":
        return torch.device("cpu")
    raise ConfigError(f"unknown device {spec!r}; expected auto, cpu, cuda or cuda:N")


def _per_process(dev: torch.device) -> torch.device:
    """Under torchrun (``LOCAL_RANK`` set), an unnumbered ``cuda`` is this process's GPU: ``cuda:LOCAL_RANK``."""
    if dev.type == "cuda" and dev.index is None and os.environ.get("LOCAL_RANK"):
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]) % max(1, torch.cuda.device_count()))
    return dev


PRECISIONS = ("fp32", "bf16")


def check_precision(precision: str) -> None:
    """Raise :class:`ConfigError` unless ``precision`` is one of :data:`PRECISIONS`."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")


def autocast(dev: torch.device | str, precision: str = "fp32"):
    """Mixed-precision context for a forward pass: ``"bf16"`` runs matrix products and RNNs in
    bfloat16 (``torch.autocast``; weights, gradients and optimizer state stay float32, so no loss
    scaling is needed), ``"fp32"`` changes nothing. On CPUs with AVX512-BF16 / AMX and on CUDA,
    bf16 roughly doubles training speed of the recurrent models."""
    check_precision(precision)
    if precision == "bf16":
        check_bf16(dev, recurrent=False)  # a recurrent model is probed by the training loop, which knows it
    return torch.autocast(device_type=torch.device(dev).type, dtype=torch.bfloat16, enabled=precision == "bf16")


_BF16_OK: dict[tuple[str, bool], str | None] = {}


def check_bf16(dev: torch.device | str, recurrent: bool = True) -> None:
    """Refuse ``--precision bf16`` with one line where this device cannot run it.

    A tiny matrix product (and, with ``recurrent``, a tiny LSTM) is run forward and backward under
    bfloat16 autocast once per device type (cached): on CPUs without AVX512-BF16, oneDNN's bf16 LSTM
    otherwise fails with "could not create a primitive descriptor" deep inside the first training step.
    """
    kind = torch.device(dev).type
    key = (kind, recurrent)
    if key not in _BF16_OK:
        try:
            x = torch.randn(3, 2, 4, device=kind, requires_grad=True)
            with torch.autocast(device_type=kind, dtype=torch.bfloat16):
                y = torch.nn.LSTM(4, 4).to(kind)(x)[0] if recurrent else x
                z = y.reshape(-1, 4) @ torch.randn(4, 4, device=kind)
            z.float().sum().backward()
            _BF16_OK[key] = None
        except RuntimeError as e:
            _BF16_OK[key] = (str(e).strip().splitlines() or [type(e).__name__])[0].split(". ")[0][:100]
    if _BF16_OK[key] is not None:
        what = "recurrent layers" if recurrent else "matrix products"
        raise ConfigError(f"--precision bf16: this {kind.upper()} cannot run {what} in bfloat16 (needs AVX512-BF16 "
                          f"or CUDA; {_BF16_OK[key]}); use --precision fp32")


def check_model_memory(factory: Callable[[], torch.nn.Module], what: str, activations: int = 0,
                       training: bool = True) -> int | None:
    """Count the parameters of ``factory()`` built on the meta device (nothing is allocated) and refuse
    (unless ``--force``) when weights, gradients and two Adam moments plus ``activations`` bytes exceed the
    memory available. Returns the parameter count (``None`` when the model cannot be built on meta)."""
    from .limits import check_memory

    try:
        with torch.device("meta"):
            model = factory()
    except ConfigError:
        raise
    except Exception as e:  # noqa: BLE001 -- a constructor that needs real data: nothing to estimate
        log.debug("no memory estimate for %s: %s", what, e)
        return None
    n = sum(p.numel() for p in model.parameters())
    check_memory(n * 4 * (4 if training else 1) + activations, f"{what} ({n:,} parameters)")
    return n


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def set_threads(n: int | None) -> int:
    """Set torch's intra-op thread count (``None`` or 0 → every available core); returns the count used."""
    n = int(n) if n else num_threads()
    if n < 1:
        raise ConfigError(f"thread count must be >= 1, got {n}")
    torch.set_num_threads(n)
    return n


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """torch tensor (any device, any grad state) → numpy array on the CPU."""
    return tensor.detach().cpu().numpy()


def rng_state() -> dict[str, Any]:
    """Every RNG's state as tensors and plain Python values (safe for ``torch.load(weights_only=True)``)."""
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": _to_plain(random.getstate()),
        "numpy": {
            "kind": np_state[0],
            "keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    random.setstate(_to_tuple(state["python"]))
    n = state["numpy"]
    np.random.set_state(
        (n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, tuple):
        return [_to_plain(x) for x in obj]
    return obj


def _to_tuple(obj: Any) -> Any:
    if isinstance(obj, list):
        return tuple(_to_tuple(x) for x in obj)
    return obj


# ---------------------------------------------------------------- gradient check (梯度确认)
# (kept in one appended block; its imports are here so the block stands alone)
from dataclasses import dataclass, field  # noqa: E402
from typing import Callable, Sequence  # noqa: E402


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` with ``raise_on_failure=True``; ``.report`` holds the details."""

    def __init__(self, report: "GradcheckReport") -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class GradMismatch:
    """One gradient entry: where it is and both values."""

    input: str
    index: tuple[int, ...]
    numeric: float
    analytic: float

    @property
    def abs_err(self) -> float:
        return abs(self.numeric - self.analytic)


@dataclass
class GradcheckReport:
    """Result of :func:`gradcheck`; true when every entry agrees. ``str()`` is a readable summary."""

    ok: bool
    checked: int
    failures: int
    worst: GradMismatch | None
    per_input: list[dict] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = (f"gradcheck {'passed' if self.ok else 'FAILED'}: {self.failures} of {self.checked} gradient entries "
                f"differ (eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})")
        lines = [head]
        if self.worst is not None:
            w = self.worst
            lines.append(f"  worst: {w.input} at index {w.index}: numeric {w.numeric:.8g}, "
                         f"analytic {w.analytic:.8g} (abs err {w.abs_err:.3g})")
        for r in self.per_input:
            lines.append(f"  {r['input']} {tuple(r['shape'])}: max abs err {r['max_abs_err']:.3g}, "
                         f"{r['failures']} failing of {r['checked']}")
        return "\n".join(lines)


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    params: Sequence[torch.Tensor] | None = None,
    raise_on_failure: bool = False,
    max_per_input: int | None = None,
    seed: int = 0,
) -> GradcheckReport:
    """Compare autograd's gradients of ``fn`` with central differences, in float64.

    The outputs of ``fn(*inputs)`` are reduced to the scalar ``s = Σ_k <v_k, out_k>`` with
    fixed random ``v_k`` (so every output entry matters), and for every checked entry ``θ_j``

        numeric_j = (s(θ + eps·e_j) - s(θ - eps·e_j)) / (2·eps)

    is compared with the analytic ``∂s/∂θ_j``; an entry fails when
    ``|numeric - analytic| > atol + rtol·|numeric|`` (``torch.autograd.gradcheck``'s rule).

    Parameters
    ----------
    fn: a function of ``inputs`` or an ``nn.Module`` — a module is deep-copied, cast to float64,
        and all its parameters that require grad are checked too.
    inputs: a tensor or a tuple of arguments; floating tensors with ``requires_grad=True`` are
        checked (copied to float64); integer tensors (token ids) and other values pass unchanged.
    params: extra float64 tensors with ``requires_grad`` that ``fn`` closes over (e.g. a loss's weights).
    raise_on_failure: raise :class:`GradcheckError` (an ``AssertionError``) instead of returning a failed report.
    max_per_input: check at most this many (seeded, random) entries per tensor.
    seed: torch's RNG is reseeded with it before every call, so dropout masks repeat.
    """
    import copy

    from torch import nn

    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    targets: list[tuple[str, torch.Tensor]] = []
    if isinstance(fn, nn.Module):
        fn = copy.deepcopy(fn).double()
        targets += [(f"parameter {n}", p) for n, p in fn.named_parameters() if p.requires_grad]
    for i, p in enumerate(params or ()):
        if p.dtype != torch.float64 or not p.requires_grad:
            raise ConfigError(f"gradcheck params[{i}] must be float64 with requires_grad=True, "
                              f"got {p.dtype} (requires_grad={p.requires_grad})")
        targets.append((f"params[{i}]", p))
    args = []
    for i, x in enumerate(inputs):
        if isinstance(x, torch.Tensor) and x.is_floating_point():
            wants = x.requires_grad
            x = x.detach().to(torch.float64).clone()
            if wants:
                x.requires_grad_(True)
                targets.append((f"input {i}", x))
        args.append(x)
    if not targets:
        raise ConfigError("gradcheck has nothing to check: give inputs with requires_grad=True, a module "
                          "with trainable parameters, or params=")
    gen = torch.Generator().manual_seed(seed + 1)
    weights: list[torch.Tensor] | None = None
    cuda = any(t.is_cuda for _, t in targets)

    def scalar() -> torch.Tensor:
        nonlocal weights
        with torch.random.fork_rng(devices=[]):
            if cuda:
                torch.manual_seed(seed)
            else:
                torch.random.default_generator.manual_seed(seed)
            out = fn(*args)
        outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,))
                if isinstance(o, torch.Tensor) and o.is_floating_point()]
        if weights is None:
            weights = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.device) for o in outs]
        return sum((o.to(torch.float64) * w).sum() for o, w in zip(outs, weights))

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors, hundreds of calls: a thread pool only adds overhead
    try:
        return _gradcheck_entries(scalar, targets, gen, eps, atol, rtol, max_per_input, raise_on_failure)
    finally:
        torch.set_num_threads(threads)


def _gradcheck_entries(scalar, targets, gen, eps, atol, rtol, max_per_input, raise_on_failure) -> GradcheckReport:
    """The loop of :func:`gradcheck` over every checked entry."""
    s = scalar()
    grads = torch.autograd.grad(s, [t for _, t in targets], allow_unused=True)
    checked = failures = 0
    worst: GradMismatch | None = None
    worst_ratio = -1.0
    per_input = []
    for (name, t), g in zip(targets, grads):
        g = torch.zeros_like(t) if g is None else g
        flat, gflat = t.data.view(-1), g.reshape(-1)
        idx = range(flat.numel())
        if max_per_input is not None and flat.numel() > max_per_input:
            idx = torch.randperm(flat.numel(), generator=gen)[:max_per_input].tolist()
        max_err, fails = 0.0, 0
        for j in idx:
            orig = flat[j].item()
            with torch.no_grad():
                flat[j] = orig + eps
                plus = scalar().item()
                flat[j] = orig - eps
                minus = scalar().item()
                flat[j] = orig
            numeric, analytic = (plus - minus) / (2 * eps), gflat[j].item()
            err = abs(numeric - analytic)
            tol = atol + rtol * abs(numeric)
            ratio = err / tol
            fails += err > tol
            max_err = max(max_err, err)
            if ratio > worst_ratio:
                worst_ratio = ratio
                worst = GradMismatch(name, tuple(int(k) for k in np.unravel_index(j, tuple(t.shape))),
                                     numeric, analytic)
        checked += len(idx)
        failures += fails
        per_input.append({"input": name, "shape": list(t.shape), "checked": len(idx),
                          "max_abs_err": max_err, "failures": int(fails)})
    report = GradcheckReport(ok=failures == 0, checked=checked, failures=int(failures), worst=worst,
                             per_input=per_input, eps=eps, atol=atol, rtol=rtol)
    if raise_on_failure and not report.ok:
        raise GradcheckError(report)
    return report


__all__ += ["gradcheck", "GradcheckReport", "GradMismatch", "GradcheckError"]
