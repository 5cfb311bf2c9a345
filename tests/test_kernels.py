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
    assert kernels.kernel_pins() == {
        "OPENBLAS_NUM_THREADS": "1",
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": kernels.X86_NUMPY_ABOVE_AVX2,
    }


def test_the_stages_get_the_pins_and_the_users_own_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    before = dict(os.environ)
    user = {"OPENBLAS_NUM_THREADS": "8", "HOME": "/home/someone"}
    env = kernels.stage_environment(user)
    assert env["OPENBLAS_NUM_THREADS"] == "8" and env["HOME"] == "/home/someone"
    assert env["JE_ARROW_MALLOC_CONF"] == "background_thread:false"
    assert user == {"OPENBLAS_NUM_THREADS": "8", "HOME": "/home/someone"}  # read, never changed
    assert dict(os.environ) == before


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
    assert kernels.kernel_pins() == {"OPENBLAS_NUM_THREADS": "1"}


@pytest.mark.skipif(not kernels._has_avx2(), reason="this CPU has no AVX2")
def test_numpy_and_both_openblas_libraries_load_the_pinned_loops() -> None:
    """numpy and scipy each ship an OpenBLAS; both, and numpy's own loops, obey the stage environment."""
    code = "import json, scipy.linalg; from factory.kernels import loaded_kernels; print(json.dumps(loaded_kernels()))"
    base = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env = {**kernels.stage_environment({k: v for k, v in base.items() if k != "OPENBLAS_NUM_THREADS"})}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["blas"] == [{"kernels": "Haswell", "threads": 1}]
    assert not set(report["numpy_loops"]) & set(kernels.X86_NUMPY_ABOVE_AVX2.split())


def test_a_description_names_the_kernels_and_threads() -> None:
    described = kernels.describe(
        {"blas": [{"kernels": "Haswell", "threads": 1}, {"kernels": "Zen", "threads": 4}], "numpy_loops": ["X86_V3"]}
    )
    assert described == "BLAS Haswell (1 thread), Zen (4 threads); numpy loops X86_V3"
    assert kernels.describe({}) == "BLAS unknown; numpy loops baseline only"
