"""Build use cases with `dvc repro`: plan the pipelines to run, run them, collect their metrics.

Planning (which pipeline files, in which order) is kept apart from running them, so a plan
can be printed and tested. A failed pipeline does not stop the others.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factory import dvc_api
from factory.artifacts.quality import Finding, recorded_findings
from factory.compile import USE_CASE_STAGES, compiled
from factory.dvcrun import DvcServer
from factory.errors import BuildError
from factory.interrupts import watch_for_ctrl_c
from factory.kernels import stage_environment
from factory.paths import ProjectPaths
from factory.spec import UseCaseSpec
from factory.stage_server import StageServer

PRODUCTS_LABEL = "data products"
ALL_PRODUCTS = "*"  # a products build that failed before DVC named a stage
OUTPUT_TAIL_LINES = 40
# The native thread pools of scikit-learn (OpenMP), MKL and joblib's process count. OpenBLAS
# always has one thread (`factory.kernels`): its results change with the thread count.
THREAD_LIMIT_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "LOKY_MAX_CPU_COUNT")


def build_environment(jobs: int) -> dict[str, str]:
    """The environment of a build's DVC processes and stages: the user's, with what the build adds.

    This interpreter's scripts come first on PATH (the stages run this `factory`); the kernel
    pins where the user set none (`factory.kernels`); and with `jobs` > 1, each pipeline's
    share of the cores for the stages' thread pools, where the user set no limit: several
    OpenMP pools each sized for the whole machine spin against each other and cost a third
    more CPU. The user's own environment is read, never changed.
    """
    env = stage_environment(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("DVC_NO_ANALYTICS", "1")
    if jobs > 1:
        threads = str(max(1, (os.cpu_count() or 1) // jobs))
        for variable in THREAD_LIMIT_VARIABLES:
            env.setdefault(variable, threads)
    return env


@dataclass(frozen=True)
class BuildTarget:
    """One `dvc repro`: a label for people, the targets for DVC, the stages they cover.

    A use case's target is its whole pipeline file, not its stages one by one: DVC parses a
    file (and its lock) once per target, a fifth of a second each time.
    """

    label: str
    dvc_targets: tuple[str, ...]
    stages: tuple[str, ...]


@dataclass(frozen=True)
class BuildPlan:
    """The pipelines to reproduce, data products first, and the processes that will build them.

    `dvc` is the build's first DVC process, already running `dvc status` of the targets, and
    `stages` the stage server, already importing its libraries; `run_build` uses and ends
    both (or call `close`).
    """

    paths: ProjectPaths
    targets: tuple[BuildTarget, ...]
    use_cases: dict[str, UseCaseSpec]
    jobs: int
    stages: StageServer
    dvc: DvcServer
    compiled: tuple[Path, ...] = ()  # generated files the plan brought up to date

    def close(self) -> None:
        """End the build's processes, for a plan that is not run."""
        self.dvc.close(kill=True)
        self.stages.stop()

    def __enter__(self) -> BuildPlan:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()  # after run_build, which ends them itself, this does nothing


@dataclass
class TargetResult:
    """What one `dvc repro` did."""

    target: BuildTarget
    ok: bool
    seconds: float
    stages_run: list[str] = field(default_factory=list)
    stages_restored: list[str] = field(default_factory=list)  # from DVC's run cache, their commands not run
    stages_failed: list[str] = field(default_factory=list)
    output_tail: str = ""
    not_built_because: str = ""  # set when the pipeline was not even tried, e.g. a product it reads failed


@dataclass
class BuildReport:
    """The results of a build and the metrics of the use cases it built."""

    results: list[TargetResult]
    specs: dict[str, UseCaseSpec]
    metrics: dict[str, dict[str, Any]]
    quality: dict[str, list[Finding]] = field(default_factory=dict)  # the quality policy's warnings per use case

    @property
    def failed(self) -> list[TargetResult]:
        """The targets whose `dvc repro` failed."""
        return [result for result in self.results if not result.ok]

    def raise_for_failures(self) -> None:
        """Raise `BuildError` naming every failed pipeline."""
        if self.failed:
            details = "\n".join(f"--- {r.target.label} ---\n{r.output_tail}" for r in self.failed)
            raise BuildError(
                f"{len(self.failed)} pipeline(s) failed: {', '.join(r.target.label for r in self.failed)}\n{details}"
            )


def plan_build(
    paths: ProjectPaths,
    names: list[str] | None = None,
    jobs: int = 1,
    fresh_processes: bool = False,
    frozen: bool = False,
) -> BuildPlan:
    """Compile what is stale (with `frozen`: refuse it), then plan the products and use case pipelines to run.

    The build's stage server and first DVC process start meanwhile; for a build of everything
    that process runs `dvc status` at once, as its answer does not depend on the plan. For
    named use cases the status of their targets follows the plan. If the check fails, both
    processes are stopped. With `fresh_processes` no stage server starts: every stage runs in
    a new process, as `dvc repro` runs it.
    """
    stages = StageServer(build_environment(jobs))
    if not fresh_processes:
        stages.start()
    server = DvcServer(paths.root, stages.environment)
    server.start()
    try:
        project, written = compiled(paths, names, frozen)
        if names is None:  # after the compile: the status must see the pipelines as they will run
            server.submit({"op": "status", "targets": []})
    except BaseException:
        server.close(kill=True)
        stages.stop()
        raise
    products = sorted({item.product for spec in project.use_cases.values() for item in spec.data})
    if names is None:
        products = sorted(project.products)
    targets = []
    if products:
        stage_names = tuple(f"dvc.yaml:{name}" for name in products)
        # every product is the whole root pipeline: one target, one parse
        targets.append(BuildTarget(PRODUCTS_LABEL, ("dvc.yaml",) if names is None else stage_names, stage_names))
    for name in project.use_cases:
        # Its own stages, in the order of its file (the compiler writes them in USE_CASE_STAGES
        # order), reproduced alone (`single_item`) so DVC does not walk up to the products (built
        # just before): two pipelines running at once must not both lock the shared products' outputs.
        pipeline = paths.rel(paths.use_case(name).dvc_yaml)
        targets.append(BuildTarget(name, (pipeline,), tuple(f"{pipeline}:{stage}" for stage in USE_CASE_STAGES)))
    if names is not None:
        server.submit({"op": "status", "targets": [item for target in targets for item in target.dvc_targets]})
    return BuildPlan(paths, tuple(targets), project.use_cases, jobs, stages, server, tuple(written))


def run_build(
    plan: BuildPlan,
    on_start: Callable[[BuildTarget], None] | None = None,
    on_done: Callable[[TargetResult], None] | None = None,
) -> BuildReport:
    """Run every stale target of the plan with DVC, continuing past failures.

    The plan's `dvc status` finds the stale targets; the rest are reported up to date.
    The shared data products are built first, alone. Then up to `plan.jobs` DVC processes take
    the use case pipelines one after another from a common queue (`dvcrun.DvcServer`): DVC
    starts once per process rather than once per pipeline, and a process that finishes early
    takes the next pipeline. DVC releases its repository lock while a stage's command runs, and
    the processes wait for it for their bookkeeping. A use case that reads a failed data product
    is reported failed, unbuilt. Every process of the build ends with it.
    """
    products = [t for t in plan.targets if t.label == PRODUCTS_LABEL]
    use_cases = [t for t in plan.targets if t.label != PRODUCTS_LABEL]
    results: dict[str, TargetResult] = {}

    def finish(result: TargetResult) -> None:
        results[result.target.label] = result
        if on_done:
            on_done(result)

    def up_to_date(target: BuildTarget) -> None:
        if on_start:
            on_start(target)
        finish(TargetResult(target=target, ok=True, seconds=0.0))

    with ExitStack() as stack:
        stack.callback(plan.stages.stop)
        ctrl_c = stack.enter_context(watch_for_ctrl_c())
        servers = [stack.enter_context(plan.dvc)]
        servers += [
            stack.enter_context(DvcServer(plan.paths.root, plan.stages.environment)) for _ in range(plan.jobs - 1)
        ]
        stale = stale_targets(plan.dvc, [*products, *use_cases], submitted=True)
        queue = deque(target for target in use_cases if target.label in stale)
        # Started here, in the main thread: the kernel ties each to the thread that starts it.
        for server in servers[1 : len(queue)]:
            server.start()
        for target in products:
            if target.label not in stale:
                up_to_date(target)
                continue
            finish(reproduce(servers[0], target, on_start, share=1))
            # Rebuilt products may have changed the inputs of the use cases that looked current.
            looked_current = [t for t in use_cases if t.label not in stale]
            stale |= stale_targets(servers[0], looked_current)
            queue = deque(t for t in use_cases if t.label in stale)
            failed = failed_products(results[target.label])
            for blocked in [t for t in queue if _reads_any(plan.use_cases[t.label], failed)]:
                queue.remove(blocked)
                finish(_blocked_by_products(blocked, failed))
        for target in use_cases:
            if target.label not in stale:
                up_to_date(target)

        at_once = max(1, min(plan.jobs, len(queue)))
        for server in servers[:at_once]:
            server.start()

        def work(server: DvcServer) -> None:
            # Ctrl-C stops the running stages, which DVC reports as failed; the main thread may
            # see its KeyboardInterrupt only later, so each worker looks before taking another.
            while not server.interrupted and not ctrl_c():
                try:
                    target = queue.popleft()  # atomic: each pipeline goes to one process
                except IndexError:
                    return
                finish(reproduce(server, target, on_start, share=at_once))
            queue.clear()  # Ctrl-C: start no other pipeline

        with ThreadPoolExecutor(max_workers=at_once) as pool:
            try:
                list(pool.map(work, servers[:at_once]))
            except BaseException:
                queue.clear()  # the pipelines running finish or stop; no other starts
                raise
    return BuildReport(
        [results[target.label] for target in plan.targets],
        plan.use_cases,
        {name: read_metrics(plan.paths, name) for name in plan.use_cases},
        {name: recorded_findings(plan.paths.use_case(name)) for name in plan.use_cases},
    )


def stale_targets(server: DvcServer, targets: list[BuildTarget], submitted: bool = False) -> set[str]:
    """Labels of the targets with a stage to rerun, from one `dvc status` of all of them in `server`.

    One DVC call answers for every pipeline, so a build where little changed costs about
    what a bare `dvc repro` does. With `submitted`, that status is already running in `server`.
    """
    if not submitted:
        if not targets:
            return set()
        server.submit({"op": "status", "targets": [item for target in targets for item in target.dvc_targets]})
    result, _ = server.collect()
    if "changed" not in result:
        return {target.label for target in targets}  # reproducing them will report the problem
    changed = set(result["changed"])
    return {target.label for target in targets if changed & set(target.stages)}


def reproduce(
    server: DvcServer, target: BuildTarget, on_start: Callable[[BuildTarget], None] | None, share: int
) -> TargetResult:
    """Reproduce one target in `server`, beside `share - 1` others.

    A use case's stages are reproduced alone (`single_item`), without DVC walking up to the
    products built before: two pipelines running at once must not both lock the shared
    products' outputs. The products go on past a failure (`keep_going`), so one broken
    product leaves the others and the use cases that read only those to be built; a product
    DVC skipped because one it reads failed counts as failed.
    """
    if on_start:
        on_start(target)
    started = time.perf_counter()
    products = target.label == PRODUCTS_LABEL
    result, output = server.reproduce(
        target.dvc_targets, single_item=not products, keep_going=products, wait_for_lock=share > 1
    )
    failed = list(result.failed)
    if products and not result.ok:
        failed += [stage for stage in target.stages if stage not in {*result.ran, *result.current, *failed}]
    tail = output.strip().splitlines()[-OUTPUT_TAIL_LINES:]
    if result.error:
        tail.append(f"error: {result.error}")
    return TargetResult(
        target=target,
        ok=result.ok,
        seconds=time.perf_counter() - started,
        stages_run=result.ran,
        stages_restored=result.restored,
        stages_failed=sorted(set(failed)),
        output_tail="\n".join(tail),
    )


def failed_products(result: TargetResult) -> set[str]:
    """The data products a failed products build did not build: those that failed or were skipped, or all."""
    if result.ok:
        return set()
    named = {stage.split(":", 1)[1] for stage in result.stages_failed if stage in result.target.stages}
    return named or {ALL_PRODUCTS}  # DVC stopped before it reached a stage


def _reads_any(spec: UseCaseSpec, products: set[str]) -> bool:
    return ALL_PRODUCTS in products or any(item.product in products for item in spec.data)


def _blocked_by_products(target: BuildTarget, failed: set[str]) -> TargetResult:
    reason = "the data products" if ALL_PRODUCTS in failed else "data product(s) " + ", ".join(sorted(failed))
    because = f"{reason} failed"
    return TargetResult(
        target,
        ok=False,
        seconds=0.0,
        output_tail=f"not built: {because} (see {PRODUCTS_LABEL})",
        not_built_because=because,
    )


def read_metrics(paths: ProjectPaths, name: str) -> dict[str, Any]:
    """A use case's metrics.json, or an empty mapping when it has not been built."""
    file = paths.use_case(name).metrics
    if not file.is_file():
        return {}
    value = json.loads(file.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def pipeline_status(paths: ProjectPaths, name: str) -> str:
    """'not built', 'up to date', or the stages DVC would rerun."""
    use_case = paths.use_case(name)
    if not use_case.dvc_lock.is_file():
        return "not built"
    try:
        changes = dvc_api.status(paths.root, [paths.rel(use_case.dvc_yaml)])
    except dvc_api.DvcError as exc:
        return f"unknown ({exc})"
    if not changes:
        return "up to date"
    return "stale: " + ", ".join(sorted(key.rsplit(":", 1)[-1] for key in changes))
