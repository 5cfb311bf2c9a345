"""Build use cases with `dvc repro`: plan the pipelines to run, run them, collect their metrics.

Planning (which pipeline files, in which order) is kept apart from running them, so a plan
can be printed and tested. A failed pipeline does not stop the others.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from factory.compile import check_compiled
from factory.dvcrun import DvcServer, dvc
from factory.errors import BuildError
from factory.interrupts import watch_for_ctrl_c
from factory.paths import ProjectPaths
from factory.spec import UseCaseSpec
from factory.stages import USE_CASE_STAGES

PRODUCTS_LABEL = "data products"
ALL_PRODUCTS = "*"  # a products build that failed before DVC named a stage
RAN_STAGE = re.compile(r"Running stage '([^']+)'")
# `dvc repro --keep-going` names the stages that failed, and those it skipped because of them
FAILED_STAGES = re.compile(r"failed to reproduce(?: stages:)? (.*)$")
SKIPPED_STAGES = re.compile(r"Stages? (.*) will be skipped due to this failure")
QUOTED = re.compile(r"'([^']+)'")
OUTPUT_TAIL_LINES = 40


@dataclass(frozen=True)
class BuildTarget:
    """One `dvc repro` invocation: a label for people, the targets for DVC, the stages they cover.

    A use case's target is its whole pipeline file, not its stages one by one: DVC parses a
    file (and its lock) once per target, a fifth of a second each time.
    """

    label: str
    dvc_targets: tuple[str, ...]
    stages: tuple[str, ...]


@dataclass(frozen=True)
class BuildPlan:
    """The pipelines to reproduce, data products first.

    `dvc` is the DVC process the build starts with, already running `dvc status` of the
    targets; `run_build` collects that status and closes the process (or close it yourself).
    """

    paths: ProjectPaths
    targets: tuple[BuildTarget, ...]
    use_cases: dict[str, UseCaseSpec]
    dvc: DvcServer


@dataclass
class TargetResult:
    """What one `dvc repro` did."""

    target: BuildTarget
    ok: bool
    seconds: float
    stages_run: list[str] = field(default_factory=list)
    stages_failed: list[str] = field(default_factory=list)
    output_tail: str = ""


@dataclass
class BuildReport:
    """The results of a build and the metrics of the use cases it built."""

    results: list[TargetResult]
    specs: dict[str, UseCaseSpec]
    metrics: dict[str, dict[str, Any]]

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


def plan_build(paths: ProjectPaths, names: list[str] | None = None) -> BuildPlan:
    """Check the generated files are current, then plan the products and use case pipelines to run.

    The build's first DVC process starts meanwhile and, for a build of everything, runs `dvc
    status` at once: its answer does not depend on the plan. For named use cases the status of
    their targets follows the plan. If the check fails, the process is stopped.
    """
    server = DvcServer(paths.root)
    server.start()
    if names is None:
        server.submit("status", "--json")
    try:
        project = check_compiled(paths, names)
    except BaseException:
        server.close(kill=True)
        raise
    products = sorted({item.product for spec in project.use_cases.values() for item in spec.data})
    if names is None:
        products = sorted(project.products)
    targets = []
    if products:
        stages = tuple(f"dvc.yaml:{name}" for name in products)
        # every product is the whole root pipeline: one target, one parse
        targets.append(BuildTarget(PRODUCTS_LABEL, ("dvc.yaml",) if names is None else stages, stages))
    for name in project.use_cases:
        # Its own stages, in the order of its file (the compiler writes them in USE_CASE_STAGES
        # order), with `--single-item` so DVC does not walk up to the products (built just
        # before): two pipelines running at once must not both try to lock the shared products' outputs.
        pipeline = paths.rel(paths.use_case(name).dvc_yaml)
        targets.append(BuildTarget(name, (pipeline,), tuple(f"{pipeline}:{stage}" for stage in USE_CASE_STAGES)))
    if names is not None:
        server.submit("status", "--json", *(item for target in targets for item in target.dvc_targets))
    return BuildPlan(paths, tuple(targets), project.use_cases, server)


def run_build(
    plan: BuildPlan,
    on_start: Callable[[BuildTarget], None] | None = None,
    on_done: Callable[[TargetResult], None] | None = None,
    jobs: int = 1,
) -> BuildReport:
    """Run every stale target of the plan with DVC, continuing past failures.

    The plan's `dvc status` finds the stale targets; the rest are reported up to date.
    The shared data products are built first, alone. Then up to `jobs` DVC processes take the
    use case pipelines one after another from a common queue (`dvcrun.DvcServer`): DVC starts
    once per process rather than once per pipeline, and a process that finishes early takes
    the next pipeline. DVC releases its repository lock while a stage's command runs, and the
    processes queue for it for their bookkeeping; each gets its share of the cores for its
    stages' thread pools. A use case that reads a failed data product is reported failed, unbuilt.
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
        ctrl_c = stack.enter_context(watch_for_ctrl_c())
        servers = [stack.enter_context(plan.dvc)]
        servers += [stack.enter_context(DvcServer(plan.paths.root)) for _ in range(jobs - 1)]
        stale = stale_targets(plan.dvc, [*products, *use_cases], submitted=True)
        queue = deque(target for target in use_cases if target.label in stale)
        for server in servers[1 : len(queue)]:
            server.start()  # DVC starts while the products or the first pipelines build
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

        at_once = max(1, min(jobs, len(queue)))

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
    )


def stale_targets(server: DvcServer, targets: list[BuildTarget], submitted: bool = False) -> set[str]:
    """Labels of the targets with a stage to rerun, from one `dvc status` of all of them in `server`.

    One DVC command answers for every pipeline, so a build where little changed costs about
    what a bare `dvc repro` does. With `submitted`, that status is already running in `server`.
    """
    if not submitted:
        if not targets:
            return set()
        server.submit("status", "--json", *(item for target in targets for item in target.dvc_targets))
    code, output = server.collect()
    report = [line for line in output.splitlines() if line.startswith("{")]
    if code != 0 or not report:
        return {target.label for target in targets}  # `dvc repro` will report the problem
    # DVC names the root pipeline's stages without their file
    changed = {_qualified(key) for key in json.loads(report[-1])}
    return {target.label for target in targets if changed & set(target.stages)}


def reproduce(
    server: DvcServer, target: BuildTarget, on_start: Callable[[BuildTarget], None] | None, share: int
) -> TargetResult:
    """Run `dvc repro` of one target in `server`, beside `share - 1` others.

    A use case's stages are reproduced alone (`--single-item`), without DVC walking up to the
    products built before: two pipelines running at once must not both lock the shared
    products' outputs. The products go on past a failure (`--keep-going`), so one broken
    product leaves the others and the use cases that read only those to be built.
    """
    if on_start:
        on_start(target)
    started = time.perf_counter()
    mode = "--keep-going" if target.label == PRODUCTS_LABEL else "--single-item"
    code, output = server.run("repro", mode, *target.dvc_targets, share=share, wait_for_lock=share > 1)
    failed = []
    for line in output.splitlines():
        for pattern in (FAILED_STAGES, SKIPPED_STAGES):
            named = pattern.search(line)
            failed += [_qualified(stage) for stage in QUOTED.findall(named.group(1))] if named else []
    return TargetResult(
        target=target,
        ok=code == 0,
        seconds=time.perf_counter() - started,
        stages_run=RAN_STAGE.findall(output),
        stages_failed=sorted(set(failed)),
        output_tail="\n".join(output.strip().splitlines()[-OUTPUT_TAIL_LINES:]),
    )


def failed_products(result: TargetResult) -> set[str]:
    """The data products a failed products build did not build: those DVC named, or all of them."""
    if result.ok:
        return set()
    # DVC also names the use case stages it would skip downstream; those are not products
    named = {stage.split(":", 1)[1] for stage in result.stages_failed if stage in result.target.stages}
    return named or {ALL_PRODUCTS}  # DVC stopped before it named a stage


def _reads_any(spec: UseCaseSpec, products: set[str]) -> bool:
    return ALL_PRODUCTS in products or any(item.product in products for item in spec.data)


def _blocked_by_products(target: BuildTarget, failed: set[str]) -> TargetResult:
    reason = "the data products" if ALL_PRODUCTS in failed else "data product(s) " + ", ".join(sorted(failed))
    return TargetResult(target, ok=False, seconds=0.0, output_tail=f"not built: {reason} failed (see {PRODUCTS_LABEL})")


def _qualified(stage: str) -> str:
    """A stage as `file:name`: DVC names the root pipeline's stages without their file."""
    return stage if ":" in stage else f"dvc.yaml:{stage}"


def read_metrics(paths: ProjectPaths, name: str) -> dict[str, Any]:
    """A use case's metrics.json, or an empty mapping when it has not been built."""
    file = paths.use_case(name).metrics
    if not file.is_file():
        return {}
    value = json.loads(file.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def pipeline_status(paths: ProjectPaths, name: str) -> str:
    """'not built', 'up to date', or the stages DVC would rerun and why."""
    use_case = paths.use_case(name)
    if not use_case.dvc_lock.is_file():
        return "not built"
    done = dvc(paths.root, "status", "--json", paths.rel(use_case.dvc_yaml))
    if done.returncode != 0:
        return f"unknown (dvc status failed: {done.stderr.strip().splitlines()[-1:] or ['no output']})"
    changes = json.loads(done.stdout or "{}")
    if not changes:
        return "up to date"
    return "stale: " + ", ".join(sorted(key.rsplit(":", 1)[-1] for key in changes))
