"""Build use cases with `dvc repro`: plan the pipelines to run, run them, collect their metrics.

Planning (which pipeline files, in which order) is kept apart from running them, so a plan
can be printed and tested. A failed pipeline does not stop the others.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from factory.compile import check_compiled
from factory.dvcrun import dvc, dvc_started
from factory.errors import BuildError
from factory.paths import ProjectPaths
from factory.spec import UseCaseSpec
from factory.stages import USE_CASE_STAGES

PRODUCTS_LABEL = "data products"
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

    `status` is a `dvc status` of the whole project, started while the plan was checked, when
    the whole project is to be built.
    """

    paths: ProjectPaths
    targets: tuple[BuildTarget, ...]
    use_cases: dict[str, UseCaseSpec]
    status: subprocess.Popen[str] | None = None


@dataclass
class TargetResult:
    """What one `dvc repro` did."""

    target: BuildTarget
    ok: bool
    seconds: float
    stages_run: list[str] = field(default_factory=list)
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

    For a build of everything, `dvc status` runs meanwhile: its answer does not depend on the
    plan, and it is thrown away if the check fails.
    """
    status = dvc_started(paths.root, "status", "--json") if names is None else None
    try:
        project = check_compiled(paths, names)
    except BaseException:
        if status is not None:
            status.kill()
            status.communicate()
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
    return BuildPlan(paths, tuple(targets), project.use_cases, status)


def run_build(
    plan: BuildPlan,
    on_start: Callable[[BuildTarget], None] | None = None,
    on_done: Callable[[TargetResult], None] | None = None,
    jobs: int = 1,
) -> BuildReport:
    """Run every stale target of the plan with `dvc repro`, continuing past failures.

    One `dvc status` finds the stale targets; the rest are reported up to date without a DVC
    process each. With one job, a single `dvc repro` runs them all (`reproduce_together`).
    With more, the shared data products are built first, alone; then up to `jobs` use case
    pipelines run as parallel `dvc repro` processes (DVC releases its repository lock while a
    stage's command runs, and `--wait-for-lock` makes the processes queue for it instead of
    failing), each with its share of the cores for its thread pools.
    """
    products = [t for t in plan.targets if t.label == PRODUCTS_LABEL]
    use_cases = [t for t in plan.targets if t.label != PRODUCTS_LABEL]
    stale = stale_targets(plan.paths, [*products, *use_cases], plan.status)
    if jobs == 1 and stale:
        results = reproduce_together(plan.paths, plan.targets, stale, on_start, on_done)
    else:
        results = _reproduce_in_parallel(plan.paths, products, use_cases, stale, jobs, on_start, on_done)
    return BuildReport(results, plan.use_cases, {name: read_metrics(plan.paths, name) for name in plan.use_cases})


def _reproduce_in_parallel(
    paths: ProjectPaths,
    products: list[BuildTarget],
    use_cases: list[BuildTarget],
    stale: set[str],
    jobs: int,
    on_start: Callable[[BuildTarget], None] | None,
    on_done: Callable[[TargetResult], None] | None,
) -> list[TargetResult]:
    """The products first, then up to `jobs` use case pipelines at once, one `dvc repro` each."""
    from concurrent.futures import ThreadPoolExecutor

    def run(target: BuildTarget, at_once: int) -> TargetResult:
        if on_start:
            on_start(target)
        if target.label in stale:
            result = reproduce(paths, target, at_once)
        else:
            result = TargetResult(target=target, ok=True, seconds=0.0)
        if on_done:
            on_done(result)
        return result

    results = [run(target, 1) for target in products]
    if stale & {target.label for target in products}:
        # Rebuilt products may have changed the inputs of the use cases that looked current;
        # those already stale stay in the build.
        stale = stale | stale_targets(paths, [target for target in use_cases if target.label not in stale])
    at_once = max(1, min(jobs, sum(target.label in stale for target in use_cases)))
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        results += list(pool.map(lambda target: run(target, at_once), use_cases))
    return results


def stale_targets(
    paths: ProjectPaths, targets: list[BuildTarget], started: subprocess.Popen[str] | None = None
) -> set[str]:
    """Labels of the targets with a stage to rerun, from one `dvc status` over all of them.

    One DVC process answers for every pipeline, so a build where little changed costs about
    what a bare `dvc repro` does, instead of one DVC start-up per use case. `started` is a
    `dvc status` of the whole project already running, used instead of a new one.
    """
    if not targets:
        return set()
    if started is not None:
        stdout, _ = started.communicate()
        returncode = started.returncode
    else:
        done = dvc(paths.root, "status", "--json", *(item for target in targets for item in target.dvc_targets))
        stdout, returncode = done.stdout, done.returncode
    if returncode != 0:
        return {target.label for target in targets}  # `dvc repro` will report the problem
    # DVC names the root pipeline's stages without their file
    changed = {key if ":" in key else f"dvc.yaml:{key}" for key in json.loads(stdout or "{}")}
    return {target.label for target in targets if changed & set(target.stages)}


def reproduce_together(
    paths: ProjectPaths,
    targets: tuple[BuildTarget, ...],
    stale: set[str],
    on_start: Callable[[BuildTarget], None] | None = None,
    on_done: Callable[[TargetResult], None] | None = None,
) -> list[TargetResult]:
    """Run every stale target in one `dvc repro --keep-going`, telling which target each stage is of.

    One DVC process starts once and reads each pipeline file once; DVC orders the stages (the
    products before the use cases that read them) and, past a failure, goes on with every
    stage that does not depend on the failed one. When products are rebuilt, every use case is
    handed to DVC, which reruns those whose inputs changed. A target is reported done when DVC
    moves on to another target's stage; the failures DVC names in its closing summary are
    added to the results.
    """
    products_stale = PRODUCTS_LABEL in stale
    chosen = [t for t in targets if t.label in stale or (products_stale and t.label != PRODUCTS_LABEL)]
    owner = {stage: target for target in chosen for stage in target.stages}
    args = [item for target in chosen for item in target.dvc_targets]
    process = dvc_started(paths.root, "repro", "--keep-going", *args, merge_output=True)
    runs = {target.label: _TargetRun(target) for target in chosen}
    before_any_stage: list[str] = []
    current: _TargetRun | None = None
    results: dict[str, TargetResult] = {}

    def finish(run: _TargetRun) -> None:
        results[run.target.label] = run.result()
        if on_done:
            on_done(results[run.target.label])

    for target in targets:
        if target.label not in runs:  # up to date: no stage of it will run
            if on_start:
                on_start(target)
            finish(_TargetRun(target))
    assert process.stdout is not None
    for line in process.stdout:
        running = RAN_STAGE.search(line)
        stage = _qualified(running.group(1)) if running else None
        if stage in owner and runs[owner[stage].label] is not current:
            if current is not None:
                current.stop()
                finish(current)
            current = runs[owner[stage].label]
            current.start()
            if on_start:
                on_start(current.target)
        if stage is not None and current is not None:
            current.stages_run.append(stage)
        for pattern in (FAILED_STAGES, SKIPPED_STAGES):
            named = pattern.search(line)
            for quoted in QUOTED.findall(named.group(1)) if named else []:
                if _qualified(quoted) in owner:
                    run = runs[owner[_qualified(quoted)].label]
                    if not run.failed and run is not current:
                        run.lines.append(line)  # why a target that never ran failed
                    run.failed = True
        if current is None:
            before_any_stage.append(line)
        else:
            current.lines.append(line)
            # DVC warns as soon as a stage's command fails; other failures it names in its summary
            current.failed |= line.startswith("WARNING: failed to run:")
    process.wait()
    if current is not None:
        current.stop()
    if process.returncode != 0 and not any(run.failed for run in runs.values()):
        for run in runs.values():  # DVC stopped before any stage: its message concerns them all
            run.failed = True
            run.lines = [*before_any_stage, *run.lines]
    for run in runs.values():
        if run.target.label in results:
            results[run.target.label].ok = not run.failed  # a failure named only in DVC's summary
        else:
            if on_start and not run.stages_run:
                on_start(run.target)
            finish(run)
    return [results[target.label] for target in targets]


@dataclass
class _TargetRun:
    """What one target's stages did inside a shared `dvc repro`."""

    target: BuildTarget
    stages_run: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    failed: bool = False
    seconds: float = 0.0
    _started: float | None = None

    def start(self) -> None:
        self._started = time.perf_counter()

    def stop(self) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None

    def result(self) -> TargetResult:
        tail = "\n".join("".join(self.lines).strip().splitlines()[-OUTPUT_TAIL_LINES:])
        return TargetResult(self.target, not self.failed, self.seconds, list(self.stages_run), tail)


def _qualified(stage: str) -> str:
    """A stage as `file:name`: DVC names the root pipeline's stages without their file."""
    return stage if ":" in stage else f"dvc.yaml:{stage}"


def reproduce(paths: ProjectPaths, target: BuildTarget, jobs: int = 1) -> TargetResult:
    """Run `dvc repro` for one target with this interpreter's environment, beside `jobs - 1` others."""
    started = time.perf_counter()
    single = ["--single-item"] if target.label != PRODUCTS_LABEL else []
    done = dvc(paths.root, "repro", *single, *target.dvc_targets, share=jobs, wait_for_lock=jobs > 1)
    output = done.stdout + done.stderr
    return TargetResult(
        target=target,
        ok=done.returncode == 0,
        seconds=time.perf_counter() - started,
        stages_run=RAN_STAGE.findall(output),
        output_tail="\n".join(output.strip().splitlines()[-OUTPUT_TAIL_LINES:]),
    )


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
