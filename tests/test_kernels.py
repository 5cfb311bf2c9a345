"""The CPU kernels every factory process computes with: the same loops on every x86-64 machine with AVX2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from factory import kernels

AVX2_FLAGS = "flags\t\t: fpu sse2 avx fma avx2 avx512f\n"


def test_one_blas_thread_and_the_avx2_loops_where_the_cpu_has_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\n" + AVX2_FLAGS)
    monkeypatch.setattr(kernels, "CPU_INFO", cpuinfo)
    monkeypatch.setattr(kernels.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(kernels.sys, "platform", "linux")
    environ = {"OPENBLAS_NUM_THREADS": "8"}  # a user's setting would make the bytes depend on it
    kernels.pin_kernels(environ)
    assert environ == {
        "OPENBLAS_NUM_THREADS": "1",
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": kernels.X86_NUMPY_ABOVE_AVX2,
    }


@pytest.mark.parametrize(
    ("platform_name", "machine", "cpuinfo_text"),
    [
        ("linux", "x86_64", "flags\t\t: fpu sse2 avx\n"),  # no AVX2: the Haswell kernels would not run
        ("linux", "aarch64", "Features\t: fp asimd\n"),
        ("darwin", "x86_64", AVX2_FLAGS),  # no /proc/cpuinfo to read
        ("linux", "x86_64", None),  # unreadable
    ],
)
def test_other_cpus_keep_the_libraries_own_choice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, platform_name: str, machine: str, cpuinfo_text: str | None
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    if cpuinfo_text is not None:
        cpuinfo.write_text(cpuinfo_text)
    monkeypatch.setattr(kernels, "CPU_INFO", cpuinfo)
    monkeypatch.setattr(kernels.platform, "machine", lambda: machine)
    monkeypatch.setattr(kernels.sys, "platform", platform_name)
    environ: dict[str, str] = {}
    kernels.pin_kernels(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "1"}


REPORT_LOADED_KERNELS = """
import json, os
from factory.kernels import pin_kernels
pin_kernels(os.environ)
import numpy, scipy.linalg, threadpoolctl
from numpy._core._multiarray_umath import __cpu_features__
pools = [p for p in threadpoolctl.threadpool_info() if p["internal_api"] == "openblas"]
print(json.dumps({
    "blas": sorted({(p["architecture"], p["num_threads"]) for p in pools}),
    "numpy_above_avx2": sorted(name for name in %r.split() if __cpu_features__.get(name)),
}))
"""


@pytest.mark.skipif(not kernels._has_avx2(), reason="this CPU has no AVX2")
def test_numpy_and_both_openblas_libraries_load_the_pinned_loops() -> None:
    """numpy and scipy each ship an OpenBLAS; both, and numpy's own loops, obey the settings."""
    code = REPORT_LOADED_KERNELS % kernels.X86_NUMPY_ABOVE_AVX2
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report == {"blas": [["Haswell", 1]], "numpy_above_avx2": []}


def test_a_description_names_the_kernels_and_threads() -> None:
    described = kernels.describe(
        {"blas": [{"kernels": "Haswell", "threads": 1}, {"kernels": "Zen", "threads": 4}], "numpy_loops": ["X86_V3"]}
    )
    assert described == "BLAS Haswell (1 thread), Zen (4 threads); numpy loops X86_V3"
    assert kernels.describe({}) == "BLAS unknown; numpy loops baseline only"
