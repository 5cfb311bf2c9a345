"""What the stages compute with: the CPU kernels and thread pools, pinned through their environment.

numpy picks its loops (exp, log, sums) for the widest vector instructions the CPU has, and
OpenBLAS picks its kernels the same way and splits long sums between its threads. The same
fit on a machine with AVX-512 and on one with AVX2 only, or with one BLAS thread and with two,
differs in the last bits, and the model file and predictions with it: `factory ci verify` on
a runner then fails to reproduce the dvc.lock committed from a laptop. So the stages a build
starts compute with one BLAS thread and, on an x86-64 CPU with AVX2 and FMA (every x86-64
server CPU sold since 2015), with the AVX2 loops of numpy and OpenBLAS ("Haswell") even where
AVX-512 is there. Both libraries read these settings once, as they load, from the
environment: `stage_environment` adds them to the environment the build gives its stages,
where the user has not set them, and never changes the user's own. Arrow's allocator is kept
from starting its background thread there too, so a stage's process has one thread when its
libraries are loaded (`factory.stage_server` forks only then). A stage run by hand
(`dvc repro`) computes with whatever its environment says: the lineage records what ran
(`loaded_kernels`), and `factory ci verify` names a difference.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

X86_BLAS_KERNELS = "Haswell"
# numpy's dispatch targets above x86-64-v3 (AVX2 + FMA), as numpy 2.4 names them (the bounds in
# pyproject.toml); numpy refuses to start if a name is part of its baseline, and ignores one it
# does not dispatch on.
X86_NUMPY_ABOVE_AVX2 = "X86_V4 AVX512_ICL AVX512_SPR"
X86_AVX2_FLAGS = frozenset({"avx2", "fma"})
CPU_INFO = Path("/proc/cpuinfo")
# Arrow's bundled jemalloc reads its options from this variable (its prefix is je_arrow_).
SINGLE_THREADED_ALLOCATOR = {"JE_ARROW_MALLOC_CONF": "background_thread:false"}


def kernel_pins() -> dict[str, str]:
    """One BLAS thread and, where the CPU runs them, the AVX2 loops of numpy and OpenBLAS.

    On other CPUs (no AVX2, ARM) the loops stay the libraries' own choice: results then match
    between machines of the same CPU family.
    """
    pins = {"OPENBLAS_NUM_THREADS": "1"}
    if _has_avx2():
        pins.update(OPENBLAS_CORETYPE=X86_BLAS_KERNELS, NPY_DISABLE_CPU_FEATURES=X86_NUMPY_ABOVE_AVX2)
    return pins


def stage_environment(base: Mapping[str, str]) -> dict[str, str]:
    """`base` with the kernel pins and the single-threaded allocator added where `base` has none of its own."""
    return {**kernel_pins(), **SINGLE_THREADED_ALLOCATOR, **base}


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

    `numpy_loops` lists the dispatch targets above numpy's baseline that this run uses, as
    numpy's own configuration report gives them (`numpy.show_config`).
    """
    import numpy
    from threadpoolctl import threadpool_info

    simd = numpy.show_config(mode="dicts").get("SIMD Extensions", {})
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
        "numpy_loops": list(simd.get("found", [])),
    }


def describe(kernels: dict[str, Any]) -> str:
    """One line for a card or a message: "OpenBLAS Haswell, 1 thread; numpy loops X86_V3"."""
    blas = ", ".join(
        f"{entry['kernels']} ({entry['threads']} thread{'s' if entry['threads'] != 1 else ''})"
        for entry in kernels.get("blas", [])
    )
    loops = " ".join(kernels.get("numpy_loops", [])) or "baseline only"
    return f"BLAS {blas or 'unknown'}; numpy loops {loops}"
