"""Pydantic models of policies/sharing.yaml: the principal directory, named roles and rules.

Field names are user-facing (docs/policies.md). Unknown keys are rejected so a typo in a
rule cannot silently widen or narrow who gets access.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from connectorops.policy.roles import (
    PowerPlatformRole,
    PrincipalType,
)

GUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ROLE_DEFINITION_PATTERN = rf"^(?:{GUID_PATTERN}|(?:/subscriptions/{GUID_PATTERN})?/providers/Microsoft\.Authorization/roleDefinitions/{GUID_PATTERN})$"  # noqa: E501

# `{label:team}` inside a rule's principal name is replaced by the connector's label value,
# so one rule can say "the owning team's group" for every team.
LABEL_TEMPLATE = re.compile(r"\{label:([A-Za-z0-9_./-]+)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class PrincipalEntry(_Strict):
    objectId: Annotated[str, StringConstraints(pattern=rf"^{GUID_PATTERN}$")]
    type: PrincipalType
    displayName: str | None = None


class RoleEntry(_Strict):
    """What one role name means on each platform; a platform it does not name keeps the default (if any)."""

    roleDefinitionId: Annotated[str, StringConstraints(pattern=ROLE_DEFINITION_PATTERN)] | None = None
    powerPlatformRole: PowerPlatformRole | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _names_a_role(self) -> RoleEntry:
        if self.roleDefinitionId is None and self.powerPlatformRole is None:
            raise ValueError("give roleDefinitionId (Azure), powerPlatformRole (Power Platform), or both")
        return self


class LabelSelector(_Strict):
    """`{labels: {team: sales}}`: connectors carrying all of these labels."""

    labels: dict[str, str] = Field(min_length=1)


ConnectorSelector = Annotated[str, StringConstraints(min_length=1)] | LabelSelector


class SharingRule(_Strict):
    """One allow or deny statement; an empty list matches everything on that axis."""

    name: Annotated[str, StringConstraints(min_length=1)]
    effect: Literal["allow", "deny"]
    description: str | None = None
    principals: list[str] = Field(default_factory=list)  # names from `principals:`, may use {label:KEY}
    principalTypes: list[PrincipalType] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)  # names from `roles:` (or the defaults)
    # connector names (shell-style wildcards allowed), "key=value" label selectors, or {labels: {...}}
    connectors: list[ConnectorSelector] = Field(default_factory=list)
    environments: list[str] = Field(default_factory=list)

    @field_validator("principals", "roles", "environments")
    @classmethod
    def _non_empty_names(cls, value: list[str]) -> list[str]:
        if any(not item.strip() for item in value):
            raise ValueError("names must not be empty")
        return value


class SharingPolicyDocument(_Strict):
    apiVersion: Literal["connectorops/v1"] = "connectorops/v1"
    kind: Literal["SharingPolicy"] = "SharingPolicy"
    principals: dict[str, PrincipalEntry] = Field(default_factory=dict)
    roles: dict[str, RoleEntry] = Field(default_factory=dict)
    rules: list[SharingRule] = Field(default_factory=list)
