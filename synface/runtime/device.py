"""Where training and embedding run: CUDA when present, else CPU; channels_last on both.

The backbone trains under bf16 autocast on CUDA and in fp32 on the CPU; the margin head always
stays fp32 (it turns autocast off itself), and embedding for evaluation stays fp32 everywhere
(`synface.evaluate.embed`: scores must not depend on bf16 rounding or on which CPU ran them).
fp32 is the CPU's default because `synface bench train` measured bf16 autocast slower for the
embedded model on every CPU tried, with native bf16 too (Intel Xeon with AMX: 2,514 vs 2,598
images/s; AMD EPYC with AVX512-BF16: 1,861 vs 2,040; docs/performance.md), and because fp32 trains
the same kind of floats on every x86-64 CPU. A fixed default, not a timing at start-up: a
precision chosen by a stopwatch would make the trained numbers depend on the machine's load.
The environment variable SYNFACE_CPU_BF16 chooses otherwise on the CPU:

    0     fp32 (the default)
    1     bf16 autocast: native on AMX-BF16 / AVX512-BF16, else emulated (correct, several times slower)
    auto  bf16 where the CPU has it natively, else fp32 (for a bigger model, where bf16 may pay:
          `synface bench train` prints both)

Either way a run is deterministic on one machine; bf16 and fp32 runs differ in their floats.

The backbone's forward and backward run compiled by torch.compile (inductor: fused batch norm,
PReLU and residual kernels around oneDNN's convolutions; +30 % images/s for the embedded model on
the AMD EPYC of 2026-12-07) where inductor can build its kernels: on CUDA, and on the CPU where a
C++ compiler is on PATH. Its on-disk cache (TORCHINDUCTOR_CACHE_DIR) makes every run after the
first compile in seconds. SYNFACE_COMPILE overrides the choice: auto (the default), 0 or 1.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import torch

from synface.errors import SynfaceError

CPU_BF16_VARIABLE = "SYNFACE_CPU_BF16"
COMPILE_VARIABLE = "SYNFACE_COMPILE"
CPUINFO = Path("/proc/cpuinfo")
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})

# set only by backbone_precision(): `synface bench train` times both precisions on any device
_forced_bf16: ContextVar[bool | None] = ContextVar("synface_forced_bf16", default=None)


def pick_device(threads: int | None = None, local_rank: int = 0, local_size: int = 1) -> torch.device:
    """CUDA if available; otherwise the CPU, using `threads` intra-op threads (default: all cores).

    For one of `local_size` training processes on this machine (`synface.train.distributed`): CUDA
    device `local_rank`, or an equal share of the threads."""
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True
        if local_size == 1:
            return torch.device("cuda")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    torch.set_num_threads(max(1, (threads or os.cpu_count() or 1) // local_size))
    return torch.device("cpu")


def cpuinfo_has_native_bf16(cpuinfo: str) -> bool:
    """Whether every processor in /proc/cpuinfo text lists AMX-BF16 or AVX512-BF16."""
    lines = (line.partition(":") for line in cpuinfo.splitlines())
    flags = [set(value.split()) for key, _, value in lines if key.strip() == "flags"]
    return bool(flags) and all(NATIVE_BF16_FLAGS & f for f in flags)


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Native bf16 on this CPU, with oneDNN in torch to use it. Read from /proc/cpuinfo (Linux; assumed
    absent elsewhere): torch documents no test for it, and its private `_is_mkldnn_bf16_supported` is true
    from AVX-512 core on, where oneDNN emulates bf16 without the native instructions."""
    try:
        cpuinfo = CPUINFO.read_text()
    except OSError:
        return False
    return torch.backends.mkldnn.is_available() and cpuinfo_has_native_bf16(cpuinfo)


def cpu_bf16() -> bool:
    """The CPU's backbone precision: SYNFACE_CPU_BF16 (0, 1 or auto; read on each call; default 0 = fp32),
    auto = native bf16."""
    setting = os.environ.get(CPU_BF16_VARIABLE, "0")
    if setting == "auto":
        return cpu_has_native_bf16()
    if setting not in ("0", "1"):
        raise SynfaceError(f"{CPU_BF16_VARIABLE}={setting!r}: expected auto, 0 (fp32) or 1 (bf16)")
    return setting == "1"


def backbone_bf16(device: torch.device) -> bool:
    """Whether the backbone runs under bf16 autocast on `device` (see the module docstring)."""
    forced = _forced_bf16.get()
    if forced is not None:
        return forced
    return device.type == "cuda" or cpu_bf16()


def backbone_autocast(device: torch.device) -> contextlib.AbstractContextManager[object]:
    """bf16 autocast for the backbone where `backbone_bf16`; the margin head stays fp32 (outside this context)."""
    if backbone_bf16(device):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def backbone_precision(bf16: bool) -> Iterator[None]:
    """Force the backbone's precision on every device for the duration, whatever the policy says."""
    token = _forced_bf16.set(bf16)
    try:
        yield
    finally:
        _forced_bf16.reset(token)


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Move a backbone to `device` in channels_last layout: faster convolutions on cuDNN and on
    oneDNN (the CPU; `synface bench train` measured ~20 % more images/s for the embedded model)."""
    return model.to(device).to(memory_format=torch.channels_last)


def compiles(device: torch.device) -> bool:
    """Whether the backbone runs compiled on `device`: SYNFACE_COMPILE (auto, 0 or 1; read on each
    call), auto = on CUDA, or on the CPU with a C++ compiler and a vector ISA for inductor's kernels
    (none under ATEN_CPU_CAPABILITY=default or on a CPU below AVX2: inductor's scalar code then
    fails to compile in the pinned torch, so such a CPU trains eager)."""
    setting = os.environ.get(COMPILE_VARIABLE, "auto")
    if setting not in ("auto", "0", "1"):
        raise SynfaceError(f"{COMPILE_VARIABLE}={setting!r}: expected auto, 0 (eager) or 1 (torch.compile)")
    if setting != "auto":
        return setting == "1"
    return device.type == "cuda" or (shutil.which("g++") is not None and _inductor_has_vector_isa())


def _inductor_has_vector_isa() -> bool:
    from torch._inductor.cpu_vec_isa import pick_vec_isa  # here: imports inductor, needed only on the CPU

    return bool(pick_vec_isa())


def compiled(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """`model` compiled where `compiles(device)`, else itself; the compiled module shares its parameters.

    Compiled code draws dropout masks from torch's own generator, as eager code does (inductor's
    `fallback_random`), so compiled and eager runs see the same masks and a resumed run its own."""
    if not compiles(device):
        return model
    import torch._inductor.config as inductor  # here: a second to import, needed only when compiling

    inductor.fallback_random = True
    return torch.compile(model)


def prepare_input(x: torch.Tensor) -> torch.Tensor:
    """Match the backbone's memory layout."""
    return x.contiguous(memory_format=torch.channels_last)


@contextlib.contextmanager
def deterministic_mode(enabled: bool) -> Iterator[None]:
    """torch.use_deterministic_algorithms for the duration of a run, restored afterwards."""
    before = torch.are_deterministic_algorithms_enabled()
    if not enabled or before:  # nothing to switch: the call costs seconds (it imports torch._dynamo)
        yield
        return
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(False)


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work (for honest timings)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
