"""Production readiness: the ML Test Score (Breck et al., 2017), computed for each use case.

The rubric's 28 tests fall in four sections (data, model development, infrastructure,
monitoring). A test scores 1 when the factory checks it automatically and the check is on,
ran and passed in the use case's last build, release or monitoring run; 0 otherwise, with
what to do to earn it. Nothing is scored for work done by hand: the factory cannot see it.
A section's score is the sum of its tests; the final score is the lowest section's.

Everything is read from the repository: the use case's compiled params.yaml (which checks
are on), its build outputs, its release tags, its monitoring log, the data products'
declarations, the governance policy and the CI workflows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from factory.artifacts.metrics import BASELINE_KEY, SLICES_KEY
from factory.artifacts.params import load_use_case_params
from factory.compose import Project, load_policy, load_project
from factory.errors import NotReady
from factory.gitrepo import file_at, uncommitted_files
from factory.governance.inventory import used_components
from factory.governance.policy import tag_problems
from factory.io import read_json_object
from factory.monitor.log import MonitoringRecord, latest_record
from factory.paths import ProjectPaths, UseCasePaths
from factory.release import registry_state
from factory.spec import GovernancePolicy, UseCaseParams, UseCaseSpec

SECTIONS = ("Data", "Model development", "ML infrastructure", "Monitoring")
PR_WORKFLOW = ".github/workflows/pr.yml"
COMPONENT_TESTS = "tests/components"


@dataclass(frozen=True)
class RubricScore:
    """One rubric test for one use case: its score and why."""

    id: str
    section: str
    title: str
    score: float
    evidence: str
    fix: str = ""


@dataclass(frozen=True)
class Readiness:
    """The rubric scored for one use case."""

    use_case: str
    tests: list[RubricScore]

    def section_scores(self) -> dict[str, float]:
        """Each section's score: the sum of its tests' scores."""
        return {section: sum(t.score for t in self.tests if t.section == section) for section in SECTIONS}

    @property
    def final(self) -> float:
        """The final score: the lowest section's."""
        return min(self.section_scores().values())


@dataclass(frozen=True)
class Evidence:
    """What the repository holds about one use case, read once for all the tests."""

    root: Path
    spec: UseCaseSpec
    params: UseCaseParams | None  # None until the use case is compiled
    project: Project
    policy: GovernancePolicy
    paths: UseCasePaths
    production: registry_state.VersionInfo | None
    monitoring: MonitoringRecord | None
    pr_workflow: str
    component_tests: str
    now: datetime

    def artifact(self, path: Path) -> dict[str, Any] | None:
        """A JSON build output, or None when the use case has not written it."""
        return read_json_object(path) if path.is_file() else None

    def production_gates(self, *kinds: str) -> list[Any]:
        """The production version's gate results of the given kinds (from its release record)."""
        record = self.production.record if self.production else None
        return [gate for gate in (record.gates if record else []) if gate.kind in kinds]


Check = Callable[[Evidence], tuple[float, str, str]]  # -> (score, evidence, fix)
RUBRIC: list[tuple[str, str, str, Check]] = []


def _test(test_id: str, section: str, title: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RUBRIC.append((test_id, section, title, check))
        return check

    return register


def _unbuilt(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "not built yet", f"`factory build {e.spec.name}`"


def _unreleased(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "no version in production", f"`factory release {e.spec.name}`"


# ---------------------------------------------------------------- data


@_test("D1", "Data", "Feature expectations are captured in a schema")
def _schema(e: Evidence) -> tuple[float, str, str]:
    loose = [item.product for item in e.spec.data if not e.project.products[item.product].table_schema.strict]
    if loose:
        return 0.0, f"schema not strict in {', '.join(loose)}", "set `schema.strict: true` in their conf/data/ files"
    if e.artifact(e.paths.metrics) is None:
        return _unbuilt(e)
    return 1.0, "every product's rows are checked against its declared, strict schema when built", ""


@_test("D2", "Data", "All features are beneficial")
def _importance(e: Evidence) -> tuple[float, str, str]:
    if e.params is None or e.params.quality is None or e.params.quality.uninformative_feature == "off":
        return 0.0, "permutation importance is off", "set `quality.uninformative_feature` to warn or error"
    record = e.artifact(e.paths.importance)
    if record is None:
        return _unbuilt(e)
    if not record.get("computed"):
        return 0.0, f"not measured in the last build: {record.get('reason')}", f"`factory build {e.spec.name}`"
    noise = record.get("within_noise") or []
    found = f"; within noise: {', '.join(noise)}" if noise else ""
    return 1.0, f"permutation importance of {len(record.get('features', {}))} features on the test rows{found}", ""


@_test("D3", "Data", "No feature's cost is too much")
def _feature_cost(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "the factory does not measure what each feature costs", "review each feature's cost by hand"


@_test("D4", "Data", "Features adhere to meta-level requirements")
def _meta_level(e: Evidence) -> tuple[float, str, str]:
    banned = e.policy.banned(e.spec.risk_tier)
    if not banned:
        return 0.0, f"the policy bans no column tag for risk tier {e.spec.risk_tier}", "set `banned_column_tags`"
    problems = tag_problems(e.spec, e.project.products, e.policy)
    if problems:
        return 0.0, problems[0].render(), "drop the banned columns"
    return 1.0, f"no feature, target or split column tagged {', '.join(banned)} (`factory check`)", ""


@_test("D5", "Data", "The data pipeline has appropriate privacy controls")
def _privacy(e: Evidence) -> tuple[float, str, str]:
    if "pii" not in e.policy.banned(e.spec.risk_tier):
        return 0.0, f"pii columns are allowed for risk tier {e.spec.risk_tier}", "ban `pii` in `banned_column_tags`"
    pii = {name for item in e.spec.data for name in e.project.products[item.product].table_schema.tagged("pii")}
    profile = e.artifact(e.paths.reference_profile)
    if profile is None:
        return _unbuilt(e)
    leaked = sorted(pii & set(profile.get("features", {})))
    if leaked or any(p.key.startswith("evaluation.slices") for p in tag_problems(e.spec, e.project.products, e.policy)):
        return 0.0, f"pii in the reference profile or slices: {', '.join(leaked)}", "drop them"
    return 1.0, "pii-tagged columns are kept out of models, profiles, captures and reports", ""


@_test("D6", "Data", "New features can be added quickly")
def _new_features(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "the time to add a feature is not measured", "measure it by hand"


@_test("D7", "Data", "All input feature code is tested")
def _feature_code(e: Evidence) -> tuple[float, str, str]:
    names = [n for n in used_components(e.project, e.spec) if n not in _metric_names(e)]
    names = [n for n in names if n != e.spec.model.component] + [ref.component for ref in e.spec.prepare]
    return _tested(e, sorted(set(names)), "data source, transform and feature")


# ---------------------------------------------------------------- model development


@_test("M1", "Model development", "Model specs are reviewed and submitted")
def _reviewed(e: Evidence) -> tuple[float, str, str]:
    config = e.paths.config.relative_to(e.root).as_posix()
    if file_at(e.root, "HEAD", config) is None or config in uncommitted_files(e.root):
        return 0.0, f"{config} is not committed as it is", "commit it through a pull request"
    if "factory check" not in e.pr_workflow:
        return 0.0, f"{PR_WORKFLOW} does not run `factory check`", "run it on every pull request"
    return 1.0, f"{config} is in Git and every pull request runs `factory check` on it", ""


@_test("M2", "Model development", "Offline and online metrics correlate")
def _online_metrics(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "no online impact metric is declared", "compare offline metrics with the business outcome by hand"


@_test("M3", "Model development", "All hyperparameters have been tuned")
def _tuned(e: Evidence) -> tuple[float, str, str]:
    if e.params is None or e.params.model.search is None:
        return 0.0, "no hyperparameter search", "add `model.search` to the use case's config"
    if not e.paths.search.is_file():
        return _unbuilt(e)
    return (
        1.0,
        f"cross-validated {e.params.model.search.method} search over {', '.join(e.params.model.search.space)}",
        "",
    )


@_test("M4", "Model development", "The impact of model staleness is known")
def _staleness_impact(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "efficacy is not yet traced against model age", "score labelled batches with older versions by hand"


@_test("M5", "Model development", "A simpler model is not better")
def _simpler(e: Evidence) -> tuple[float, str, str]:
    if e.params is None or not e.params.release.beat_baseline:
        return 0.0, "the baseline gate is off", "set `release.beat_baseline: true`"
    if BASELINE_KEY not in (e.artifact(e.paths.metrics) or {}):
        return _unbuilt(e)
    gates = e.production_gates("baseline")
    if not gates:
        return _unreleased(e)
    return (1.0, gates[0].detail, "") if gates[0].passed else (0.0, gates[0].detail, "release a better model")


@_test("M6", "Model development", "Model quality is sufficient on all important data slices")
def _slices(e: Evidence) -> tuple[float, str, str]:
    if e.params is None or not e.params.evaluation.slices:
        return 0.0, "no slices declared", "list slice columns under `evaluation.slices`"
    policy = e.params.release.slices
    if policy.worst is None and policy.max_gap is None:
        return 0.0, "no slice gate", "set `release.slices.worst` or `release.slices.max_gap`"
    return _gates_passed(e, ("slice worst", "slice gap"), "slice")


@_test("M7", "Model development", "The model has been tested for considerations of inclusion")
def _inclusion(e: Evidence) -> tuple[float, str, str]:
    if e.params is None:
        return _unbuilt(e)
    protected = [c for c in e.params.evaluation.slices if c in e.params.protected_columns]
    if not protected:
        return 0.0, "no slice on a column tagged protected", "tag protected columns and slice by them"
    policy = e.params.release.slices
    binary = e.params.task == "binary_classification"
    kinds = ("parity", "opportunity") if binary else ("slice worst", "slice gap")
    if (binary and policy.max_parity_gap is None and policy.max_opportunity_gap is None) or (
        not binary and policy.worst is None and policy.max_gap is None
    ):
        return 0.0, f"no fairness gate on {', '.join(protected)}", "set the gates under `release.slices`"
    return _gates_passed(e, kinds, f"fairness gate on {', '.join(protected)}", protected)


# ---------------------------------------------------------------- infrastructure


@_test("I1", "ML infrastructure", "Training is reproducible")
def _reproducible(e: Evidence) -> tuple[float, str, str]:
    if "factory ci verify" not in e.pr_workflow:
        return 0.0, f"{PR_WORKFLOW} does not run `factory ci verify`", "rebuild and compare on every pull request"
    return 1.0, "every pull request rebuilds it from a clean clone and compares each output's md5", ""


@_test("I2", "ML infrastructure", "Model specs are unit tested")
def _model_tested(e: Evidence) -> tuple[float, str, str]:
    return _tested(e, [e.spec.model.component], "model")


@_test("I3", "ML infrastructure", "The ML pipeline is integration tested")
def _integration(e: Evidence) -> tuple[float, str, str]:
    if "factory ci plan" not in e.pr_workflow or "factory ci verify" not in e.pr_workflow:
        return 0.0, f"{PR_WORKFLOW} does not build the affected use cases", "run `factory ci plan` and `ci verify`"
    return 1.0, "every pull request that touches its inputs builds the whole pipeline", ""


@_test("I4", "ML infrastructure", "Model quality is validated before serving")
def _validated(e: Evidence) -> tuple[float, str, str]:
    if e.production is None:
        return _unreleased(e)
    record = e.production.record
    if record is None or not record.passed:
        return 0.0, f"{e.production.version} has no passing release record", "release through `factory release`"
    return 1.0, f"{e.production.version} passed its {len(record.gates)} release gates", ""


@_test("I5", "ML infrastructure", "The model is debuggable")
def _debuggable(e: Evidence) -> tuple[float, str, str]:
    if e.production is None:
        return _unreleased(e)
    return 1.0, f"`factory explain {e.spec.name} --input FILE --row N` steps a row through {e.production.version}", ""


@_test("I6", "ML infrastructure", "Models are canaried before serving")
def _canary(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "no canary comparison of staging with production", "compare staging and production by hand"


@_test("I7", "ML infrastructure", "Serving models can be rolled back")
def _rollback(e: Evidence) -> tuple[float, str, str]:
    if e.production is None:
        return _unreleased(e)
    return 1.0, f"production is a Git tag assignment: `factory rollback {e.spec.name}` reassigns it", ""


# ---------------------------------------------------------------- monitoring


@_test("Mo1", "Monitoring", "Dependency changes result in notification")
def _dependencies(e: Evidence) -> tuple[float, str, str]:
    if "factory ci plan" not in e.pr_workflow:
        return 0.0, f"{PR_WORKFLOW} does not run `factory ci plan`", "run it on every pull request"
    if not e.paths.dvc_yaml.is_file():
        return 0.0, "not compiled", f"`factory compile {e.spec.name}`"
    return 1.0, "a change to its data products, components or config names it in the pull request's plan", ""


@_test("Mo2", "Monitoring", "Data invariants hold in training and serving inputs")
def _invariants(e: Evidence) -> tuple[float, str, str]:
    if e.monitoring is None:
        return 0.0, "never monitored", f"`factory monitor {e.spec.name} --input FILE`"
    return 1.0, f"the schema was checked on its build and on the last monitored batch ({e.monitoring.rows} rows)", ""


@_test("Mo3", "Monitoring", "Training and serving features compute the same values")
def _skew(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "training and serving predictions are not compared automatically", "compare them by hand"


@_test("Mo4", "Monitoring", "Models are not too stale")
def _stale(e: Evidence) -> tuple[float, str, str]:
    if e.params is None or e.params.monitoring is None:
        return _unbuilt(e)
    if e.production is None:
        return _unreleased(e)
    limit = e.params.monitoring.max_age_days
    age = (e.now - e.production.created_at).days
    if age > limit:
        return 0.0, f"{e.production.version} is {age} days old (max_age_days {limit})", "retrain and release"
    return 1.0, f"{e.production.version} is {age} days old; the audit flags it after {limit}", ""


@_test("Mo5", "Monitoring", "The model is numerically stable")
def _numerical(e: Evidence) -> tuple[float, str, str]:
    if e.params is None or e.params.quality is None or e.params.quality.numerical_stability == "off":
        return 0.0, "the numerical stability check is off", "set `quality.numerical_stability` to error"
    record = e.artifact(e.paths.model_checks)
    if record is None:
        return _unbuilt(e)
    problems = record.get("numerical_stability", record).get("problems") or []
    if problems:
        return 0.0, f"{len(problems)} problem(s): {problems[0]}", "fix the model's numerics"
    return 1.0, "no NaN, infinite or unnormalised output on the test rows; monitoring alerts on any", ""


@_test("Mo6", "Monitoring", "The model has not regressed in speed or memory")
def _resources(e: Evidence) -> tuple[float, str, str]:
    return 0.0, "stage time and memory are not tracked per build", "compare them by hand"


@_test("Mo7", "Monitoring", "The model has not regressed in prediction quality on served data")
def _efficacy(e: Evidence) -> tuple[float, str, str]:
    if e.monitoring is None or e.monitoring.efficacy is None:
        return 0.0, "no labelled batch monitored", f"`factory monitor {e.spec.name} --input FILE --labels COLUMN`"
    efficacy = e.monitoring.efficacy
    verdict = "degraded" if efficacy.degraded else "within tolerance"
    return 1.0, f"{efficacy.metric} {efficacy.current:.4f} on the last labelled batch, {verdict}", ""


# ---------------------------------------------------------------- shared by the tests


def _metric_names(e: Evidence) -> set[str]:
    return set(e.spec.evaluation.all_metrics)


def _tested(e: Evidence, names: list[str], what: str) -> tuple[float, str, str]:
    """1 when each named component has a test under tests/components/ that names it."""
    untested = [name for name in names if f'"{name}"' not in e.component_tests]
    if untested:
        return 0.0, f"no test under {COMPONENT_TESTS}/ names {', '.join(untested)}", "add one"
    return 1.0, f"each {what} component ({', '.join(names)}) has tests, run on every pull request", ""


def _gates_passed(
    e: Evidence, kinds: tuple[str, ...], what: str, columns: list[str] | None = None
) -> tuple[float, str, str]:
    if SLICES_KEY not in (e.artifact(e.paths.metrics) or {}):
        return _unbuilt(e)
    if e.production is None:
        return _unreleased(e)
    gates = [g for g in e.production_gates(*kinds) if columns is None or any(f" {c} " in g.metric for c in columns)]
    if not gates:
        return 0.0, f"{e.production.version} was released without a {what} gate", "release it again"
    failed = [g for g in gates if not g.passed]
    if failed:
        return 0.0, f"{failed[0].metric}: {failed[0].detail}", "release a model that passes"
    return 1.0, "; ".join(f"{g.metric} {g.detail}" for g in gates), ""


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


# ---------------------------------------------------------------- entry point


def readiness(root: Path, names: list[str] | None, now: datetime) -> list[Readiness]:
    """The rubric scored for each named use case (all when None), against the time `now`."""
    project = load_project(ProjectPaths(root), names)
    policy = load_policy(root)
    pr_workflow = _read(root / PR_WORKFLOW)
    tests_folder = root / COMPONENT_TESTS
    component_tests = "\n".join(_read(f) for f in sorted(tests_folder.glob("test_*.py")))
    results = []
    for name, spec in sorted(project.use_cases.items()):
        paths = project.paths.use_case(name)
        versions = registry_state.versions(root, name)
        evidence = Evidence(
            root=root,
            spec=spec,
            params=load_use_case_params(paths) if paths.params_yaml.is_file() else None,
            project=project,
            policy=policy,
            paths=paths,
            production=next((v for v in versions if "production" in v.stages), None),
            monitoring=latest_record(paths.monitoring_log),
            pr_workflow=pr_workflow,
            component_tests=component_tests,
            now=now,
        )
        tests = []
        for test_id, section, title, check in RUBRIC:
            score, found, fix = check(evidence)
            tests.append(RubricScore(test_id, section, title, score, found, fix))
        results.append(Readiness(name, tests))
    return results


def raise_below(results: list[Readiness], minimum: float | None) -> None:
    """Raise `NotReady` naming the use cases whose final score is below `minimum` (when one is given)."""
    below = [r for r in results if minimum is not None and r.final < minimum]
    if below:
        listed = ", ".join(f"{r.use_case} ({r.final:g})" for r in below)
        raise NotReady(f"final ML Test Score below {minimum:g}: {listed}")


def readiness_json(results: list[Readiness]) -> list[dict[str, Any]]:
    """The scores as plain data: per use case, the sections, the final score and every test."""
    return [
        {
            "use_case": r.use_case,
            "final": r.final,
            "sections": r.section_scores(),
            "tests": [asdict(t) for t in r.tests],
        }
        for r in results
    ]
