"""Release, promote, roll back and list versions: plan first (pure reads), then execute.

A release pushes the model to the DVC remote *before* it creates any tag, creates the
version tag before the stage tag, and the new stage tag before the old holder's unassignment,
so a release killed at any point leaves either nothing new, or a version whose model is in
the remote, and the stage is never left empty; running it again completes it. All writes
to the tags of a clone happen under one lock, so concurrent releases run one at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from factory import dvc_api, registry
from factory.artifacts.params import load_use_case_params
from factory.compose import check_name, use_case_names
from factory.errors import ConfigError, GatesFailed, ReleaseRefused
from factory.gitrepo import head_commit, push_tags, repo_lock, uncommitted_files, user
from factory.io import read_yaml_mapping, sha256_file, write_json
from factory.paths import ProjectPaths, UseCasePaths
from factory.release import registry_state
from factory.release.gates import evaluate_gates
from factory.release.records import GateResult, ReleaseRecord, content_hash
from factory.spec import Approval, Approvals, UseCaseParams, parse_model

APPROVALS_FILE = "approvals.yaml"


@dataclass(frozen=True)
class ReleasePlan:
    """What a release would do, computed without writing anything."""

    name: str
    stage: str
    record: ReleaseRecord
    existing: registry_state.VersionInfo | None
    champion: registry_state.VersionInfo | None
    approval_required: bool
    approval: Approval | None

    @property
    def passed(self) -> bool:
        """Gates passed and, where required, an approval names this version."""
        return self.record.passed and (not self.approval_required or self.approval is not None)

    @property
    def is_noop(self) -> bool:
        """This commit and model are already released and hold the stage."""
        return self.existing is not None and self.stage in self.existing.stages

    def refusals(self) -> list[str]:
        """Why the release is refused: each failed gate with its figures, and a missing approval."""
        reasons = [f"{g.metric} ({g.kind}): {g.detail}" for g in self.record.gates if not g.passed]
        if self.approval_required and self.approval is None:
            reasons.append(
                f"no approval for {self.record.version} in use_cases/{self.name}/{APPROVALS_FILE} (risk tier high)"
            )
        return reasons


@dataclass
class ReleaseOutcome:
    """What a release did."""

    plan: ReleasePlan
    created_tags: list[str] = field(default_factory=list)

    def raise_for_failure(self) -> None:
        """Raise `GatesFailed` when the plan did not pass."""
        if not self.plan.passed:
            raise GatesFailed(f"{self.plan.name}: not released; " + "; ".join(self.plan.refusals()))


# ---------------------------------------------------------------- planning


def plan_release(root: Path, name: str, stage: str | None = None) -> ReleasePlan:
    """Check the build is committed and current, then evaluate the gates against production."""
    paths = _use_case(root, name)
    params = load_use_case_params(paths)
    stage = stage or params.release.stage
    _check_stage(stage)
    _check_clean_and_built(root, paths)
    commit = head_commit(root)
    model_md5 = _locked_model_md5(paths)
    metrics = json.loads(paths.metrics.read_text(encoding="utf-8"))
    model_sha = sha256_file(paths.model)
    profile = paths.reference_profile if paths.reference_profile.is_file() else None

    known = registry_state.versions(root, name)
    holders = registry_state.holders(root, name)
    champion = next((v for v in known if v.version == holders.get("production")), None)
    existing = next(
        (v for v in known if v.record and v.record.commit == commit and v.record.model_sha256 == model_sha), None
    )
    contract, training = _contract_hash(params), _training_hash(params, paths)
    version = existing.version if existing else _next_version(known, contract, training)

    gates = evaluate_gates(
        params.release,
        params.evaluation.primary_metric,
        metrics,
        champion.record.metrics if champion and champion.record else None,
        greater_is_better,
    )
    record = ReleaseRecord(
        use_case=name,
        version=version,
        commit=commit,
        model_path=ProjectPaths(root).rel(paths.model),
        model_md5=model_md5,
        model_sha256=model_sha,
        metrics=metrics,
        gates=gates,
        contract_sha256=contract,
        training_sha256=training,
        released_by=user(root),
        profile_path=ProjectPaths(root).rel(profile) if profile else None,
        profile_sha256=sha256_file(profile) if profile else None,
    )
    approval_required = stage == "production" and params.risk_tier == "high"
    return ReleasePlan(
        name=name,
        stage=stage,
        record=record,
        existing=existing,
        champion=champion,
        approval_required=approval_required,
        approval=find_approval(paths, version) if approval_required else None,
    )


def _use_case(root: Path, name: str) -> UseCasePaths:
    paths = ProjectPaths(root)
    check_name(name, "use case", use_case_names(paths))
    return paths.use_case(name)


def _check_stage(stage: str) -> None:
    if stage not in registry_state.STAGES:
        raise ReleaseRefused(f"unknown stage {stage!r}; expected one of: {', '.join(registry_state.STAGES)}")


def _check_clean_and_built(root: Path, paths: UseCasePaths) -> None:
    dirty = uncommitted_files(root)
    if dirty:
        raise ReleaseRefused(
            "uncommitted changes (commit them, so the release is reproducible from its tag): " + ", ".join(dirty[:10])
        )
    if not paths.dvc_lock.is_file():
        raise ReleaseRefused(
            f"use case {paths.name!r} is not built (run `factory build {paths.name}` and commit its dvc.lock)"
        )
    changes = dvc_api.status(root, [ProjectPaths(root).rel(paths.dvc_yaml)])
    if changes:
        stages = ", ".join(sorted(key.rsplit(":", 1)[-1] for key in changes))
        raise ReleaseRefused(
            f"use case {paths.name!r}: outputs do not match its dvc.lock (stale stages: {stages}); "
            f"run `factory build {paths.name}` and commit"
        )


def _locked_model_md5(paths: UseCasePaths) -> str:
    lock = yaml.safe_load(paths.dvc_lock.read_text(encoding="utf-8")) or {}
    for out in lock.get("stages", {}).get("train", {}).get("outs", []):
        if out.get("path") == paths.rel(paths.model):
            return str(out["md5"])
    raise ReleaseRefused(f"use_cases/{paths.name}/dvc.lock records no trained model (run `factory build`)")


def _contract_hash(params: UseCaseParams) -> str:
    """What callers depend on: the task, the target and the input features."""
    return content_hash({"task": params.task, "target": params.target, "features": params.features.columns})


def _training_hash(params: UseCaseParams, paths: UseCasePaths) -> str:
    """What makes the model: model, feature steps, split, data and the data's content."""
    lock = yaml.safe_load(paths.dvc_lock.read_text(encoding="utf-8")) or {}
    data = {dep["path"]: dep.get("md5") for dep in lock.get("stages", {}).get("prepare", {}).get("deps", [])}
    return content_hash(
        {
            "model": params.model.model_dump(mode="json"),
            "features": params.features.model_dump(mode="json"),
            "split": params.split.model_dump(mode="json"),
            "data": data,
        }
    )


def _next_version(known: list[registry_state.VersionInfo], contract: str, training: str) -> str:
    """v1.0.0 first; then major for a new input contract, minor for new training, patch otherwise."""
    latest = next((v for v in known if v.record is not None), None)
    if latest is None or latest.record is None:
        return "v1.0.0"
    major, minor, patch = (int(part) for part in latest.version.lstrip("v").split("."))
    if latest.record.contract_sha256 != contract:
        return f"v{major + 1}.0.0"
    if latest.record.training_sha256 != training:
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def greater_is_better(metric: str) -> bool:
    """Whether a higher value of registered metric `metric` is better (False for losses and errors)."""
    return registry.get("metric", metric).greater_is_better


def find_approval(paths: UseCasePaths, version: str) -> Approval | None:
    """The approval of `version` recorded in the use case's approvals.yaml, if any."""
    file = paths.folder / APPROVALS_FILE
    if not file.is_file():
        return None
    shown = f"use_cases/{paths.name}/{APPROVALS_FILE}"
    approvals, problems = parse_model(Approvals, read_yaml_mapping(file, shown))
    if problems:
        raise ConfigError(shown, problems)
    return next((a for a in approvals.approvals if a.version == version), None)


# ---------------------------------------------------------------- execution


def release(root: Path, name: str, stage: str | None = None, dry_run: bool = False) -> ReleaseOutcome:
    """Plan and, unless `dry_run` or the plan failed, carry out a release."""
    with repo_lock(root, "release"):
        plan = plan_release(root, name, stage)
        outcome = ReleaseOutcome(plan)
        paths = ProjectPaths(root).use_case(name)
        write_json(paths.artifacts / "blessing.json", _blessing(plan))
        if dry_run or not plan.passed:
            return outcome
        summary = plan.record.to_message().split("\n", 1)[0]
        if plan.is_noop:
            # a run killed between its stage tags left the previous holder assigned: unassign it now
            outcome.created_tags += registry_state.assign(root, name, plan.record.version, plan.stage, summary)
            _push_all_tags(root, name)
            return outcome
        # The model and everything it was built from reach the remote before any tag exists.
        dvc_api.push(root, [ProjectPaths(root).rel(paths.dvc_yaml)], with_deps=True)
        if plan.existing is None:
            outcome.created_tags.append(
                registry_state.register(root, name, plan.record.commit, plan.record.version, plan.record)
            )
        outcome.created_tags += registry_state.assign(root, name, plan.record.version, plan.stage, summary)
        _push_all_tags(root, name)
        return outcome


def _push_all_tags(root: Path, name: str) -> None:
    """Push every tag of the artifact, so a release killed before its push is completed by a rerun."""
    push_tags(root, registry_state.artifact_tags(root, name))


def _blessing(plan: ReleasePlan) -> dict[str, Any]:
    return {
        "use_case": plan.name,
        "stage": plan.stage,
        "version": plan.record.version,
        "commit": plan.record.commit,
        "passed": plan.passed,
        "champion": plan.champion.version if plan.champion else None,
        "approval": plan.approval.model_dump() if plan.approval else None,
        "approval_required": plan.approval_required,
        "gates": [gate.model_dump(mode="json") for gate in plan.record.gates],
    }


def promote(root: Path, name: str, version: str, stage: str) -> list[str]:
    """Assign `stage` to an existing version (high risk to production needs its approval)."""
    paths = _use_case(root, name)
    _check_stage(stage)
    with repo_lock(root, "release"):
        info = registry_state.find_version(root, name, version)
        params = load_use_case_params(paths)
        if stage == "production" and params.risk_tier == "high" and find_approval(paths, version) is None:
            raise GatesFailed(
                f"{name}: {version} needs an approval in use_cases/{name}/{APPROVALS_FILE} before "
                "production (risk tier high)"
            )
        tags = registry_state.assign(root, name, info.version, stage, f"promoted {info.version} to {stage}")
        push_tags(root, tags)
        return tags


def rollback(root: Path, name: str, stage: str = "production") -> tuple[str, list[str]]:
    """Give `stage` back to the version that held it before the current one. History is kept."""
    _use_case(root, name)
    _check_stage(stage)
    with repo_lock(root, "release"):
        current = registry_state.holders(root, name).get(stage)
        if current is None:
            raise ReleaseRefused(f"{name}: no version is in {stage}; nothing to roll back")
        previous = [
            e.version
            for e in registry_state.stage_events(root, name)
            if e.stage == stage and e.assigned and e.version != current
        ]
        if not previous:
            raise ReleaseRefused(f"{name}: {current} is the only version ever in {stage}; nothing to roll back to")
        target = previous[-1]
        tags = registry_state.assign(root, name, target, stage, f"rollback of {stage} from {current} to {target}")
        push_tags(root, tags)
        return target, tags


def releases(root: Path, name: str | None = None) -> dict[str, list[registry_state.VersionInfo]]:
    """Every released version per use case, newest first."""
    paths = ProjectPaths(root)
    names = use_case_names(paths)
    if name is not None:
        check_name(name, "use case", names)
        names = [name]
    return {each: registry_state.versions(root, each) for each in names}


def gate_rows(gates: list[GateResult]) -> list[tuple[str, str, str, str]]:
    """(metric, kind, figures, verdict) per gate, for rendering."""
    return [(g.metric, g.kind, g.detail, "pass" if g.passed else "FAIL") for g in gates]
