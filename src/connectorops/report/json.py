"""JSON views (schemaVersion 1) of plans, drift reports and apply reports, for machines and CI.

Schema (stable; fields are only ever added):
- plan: {schemaVersion, environment, target{subscriptionId,resourceGroup,location}, commit, createdAt,
  fingerprint, exitCode, summary{create,update,delete,orphan,adopt,noop,blocked}, options, problems[Problem],
  findings[Finding], unmanaged[name], actions[{kind, resourceType, name, connector, resourceId, verdict,
  reasons[], warnings[], changes[{path,kind,before,after}], impact{connectionCount,logicAppCount,connections[],
  logicApps[]} (Power Platform: impact{connectionCount,connections[],consumerKind: "flow",flowCount,
  flows[{name,id,connections[],operations[]}]}), breakingChanges[{kind,severity,message,operations[],logicApps[],
  flows[] (only when flows are affected)}], body, secretRefs,
  desiredFingerprint, observedEtag, observedFingerprint, observedCommit, observedDeletionPolicy, deletionPolicy,
  deletionPolicyOrigin, acknowledgedConnections[], sourcePath, scope, principal, role, touched,
  rotatedSecrets[pointer]}]}; options{..., rotateSecrets[name]}
- drift: {schemaVersion, environment, target, commit, exitCode, summary{drift,info,byKind,fixed}, problems[],
  items[{kind, severity, connector, resourceId, detail, changes[], principal, role, since}],
  fixed[items corrected by `drift --fix` in this run; `items` is then what is left]}
- apply: {schemaVersion, environment, planFingerprint, exitCode, interrupted, summary{done,failed,blocked,notDone},
  results[{key, kind, resourceType, name, connector, status (done|failed|skipped|blocked), message, seconds}],
  plan{summary, fingerprint, blocked[{key, reasons[]}], errors[Problem]}}
"""

from __future__ import annotations

import json
from typing import Any

from connectorops.engine.apply import ApplyReport
from connectorops.engine.drift import DriftReport
from connectorops.engine.plan import Plan
from connectorops.report.redact import redact


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(redact(data), indent=2, sort_keys=True, ensure_ascii=False)


def plan_json(plan: Plan) -> str:
    return _dump(plan.to_dict())


def drift_json(report: DriftReport) -> str:
    return _dump(report.to_dict())


def apply_json(report: ApplyReport, plan: Plan | None = None) -> str:
    data = report.to_dict()
    if plan is not None:
        data["plan"] = {
            "summary": plan.counts(),
            "fingerprint": plan.fingerprint,
            "blocked": [{"key": a.key, "reasons": list(a.reasons)} for a in plan.blocked_actions],
            "errors": [p.to_dict() for p in plan.errors],
        }
        if plan.is_blocked:  # nothing ran, so the report alone would say 0; the process exits 1
            data["exitCode"] = 1
    return _dump(data)
