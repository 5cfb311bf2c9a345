"""The CPU kernels numpy and OpenBLAS compute with, pinned so a model's bytes do not depend on the machine.

numpy picks its loops (exp, log, sums) for the widest vector instructions the CPU has, and
OpenBLAS picks its kernels the same way and splits long sums between its threads. The same
fit on a machine with AVX-512 and on one with AVX2 only, or with one BLAS thread and with two,
differs in the last bits, and the model file and predictions with it: `factory ci verify` on
a runner then fails to reproduce the dvc.lock committed from a laptop. So every factory
process computes with one BLAS thread and, on an x86-64 CPU with AVX2 and FMA (every x86-64
server CPU sold since 2015), with the AVX2 loops of numpy and OpenBLAS ("Haswell") even where
AVX-512 is there. Both libraries read these settings once, as they load: they are set before
numpy is imported.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

X86_BLAS_KERNELS = "Haswell"
# numpy's dispatch targets above x86-64-v3 (AVX2 + FMA); numpy refuses to start if a name is
# part of its baseline, and ignores one it does not dispatch on.
X86_NUMPY_ABOVE_AVX2 = "X86_V4 AVX512_ICL AVX512_SPR"
X86_AVX2_FLAGS = frozenset({"avx2", "fma"})
CPU_INFO = Path("/proc/cpuinfo")


def pin_kernels(environ: MutableMapping[str, str]) -> None:
    """Set one BLAS thread and, where the CPU runs them, the AVX2 loops of numpy and OpenBLAS in `environ`.

    On other CPUs (no AVX2, ARM) the loops stay the libraries' own choice: results then match
    between machines of the same CPU family.
    """
    environ["OPENBLAS_NUM_THREADS"] = "1"
    if _has_avx2():
        environ["OPENBLAS_CORETYPE"] = X86_BLAS_KERNELS
        environ["NPY_DISABLE_CPU_FEATURES"] = X86_NUMPY_ABOVE_AVX2


def _has_avx2() -> bool:
    """True on Linux x86-64 with every flag the AVX2 loops use."""
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        text = CPU_INFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split()) >= X86_AVX2_FLAGS
    return False


def loaded_kernels() -> dict[str, Any]:
    """What this process computes with: each OpenBLAS's kernels and threads, numpy's vector loops.

    `numpy_loops` lists the dispatch targets above numpy's baseline that are in use; empty
    when numpy cannot say.
    """
    import numpy
    from threadpoolctl import threadpool_info

    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # a numpy that keeps them elsewhere
        loops: list[str] = []
    else:
        loops = [target for target in __cpu_dispatch__ if __cpu_features__.get(target)]
    blas = sorted(
        {
            (str(pool.get("architecture")), int(pool["num_threads"]))
            for pool in threadpool_info()
            if pool["user_api"] == "blas"
        }
    )
    return {
        "blas": [{"kernels": kernels, "threads": threads} for kernels, threads in blas],
        "numpy": numpy.__version__,
        "numpy_loops": loops,
    }


def describe(kernels: dict[str, Any]) -> str:
    """One line for a card or a message: "OpenBLAS Haswell, 1 thread; numpy loops X86_V3"."""
    blas = ", ".join(
        f"{entry['kernels']} ({entry['threads']} thread{'s' if entry['threads'] != 1 else ''})"
        for entry in kernels.get("blas", [])
    )
    loops = " ".join(kernels.get("numpy_loops", [])) or "baseline only"
    return f"BLAS {blas or 'unknown'}; numpy loops {loops}"
