"""Every user-facing error type, and `Problem`: an error or warning as data.

Errors carry the file, line/column and field they concern plus a hint; they are rendered
once at the edge (the CLI) and never contain secret values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    """One finding about user input: where it is, what is wrong and what to do."""

    message: str
    severity: Severity = Severity.ERROR
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    hint: str | None = None
    code: str | None = None

    @property
    def location(self) -> str:
        where = self.file or ""
        if self.file and self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.field:
            where = f"{where}: {self.field}" if where else self.field
        return where

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """The inverse of `to_dict` (saved plans carry their problems)."""
        return cls(
            message=str(data.get("message", "")),
            severity=Severity(data.get("severity", "error")),
            file=data.get("file"),
            line=data.get("line"),
            column=data.get("column"),
            field=data.get("field"),
            hint=data.get("hint"),
            code=data.get("code"),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": str(self.severity),
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


class ConnectoropsError(Exception):
    """Base of every error meant for a person. The CLI prints it without a traceback."""

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        self.problem = Problem(message, file=file, line=line, column=column, field=field, hint=hint, code=code)
        super().__init__(str(self.problem))

    @property
    def problems(self) -> list[Problem]:
        return [self.problem]


class ValidationFailed(ConnectoropsError):
    """Several problems found at once (spec, definitions, policy): shown together."""

    def __init__(self, problems: Iterable[Problem], summary: str = "validation failed") -> None:
        self._problems = [p for p in problems]
        errors = [p for p in self._problems if p.severity == Severity.ERROR]
        super().__init__(f"{summary}: {len(errors)} error(s)")
        self.problem = errors[0] if errors else Problem(summary)

    @property
    def problems(self) -> list[Problem]:
        return self._problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems)


class SpecError(ConnectoropsError):
    """connector.yaml / connectorops.yaml / policy YAML is malformed or invalid."""


class DefinitionError(ConnectoropsError):
    """An OpenAPI document, Postman collection or paconn folder cannot be used."""


class UnsafeUrlError(DefinitionError):
    """A URL points somewhere we refuse to send requests (http, loopback, private, metadata)."""


class PolicyViolation(ConnectoropsError):
    """A sharing or certification rule with mandatory enforcement is broken."""


class GatewayError(ConnectoropsError):
    """ARM (or the emulator) answered with an error we cannot handle."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        arm_code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, code=arm_code)
        self.status = status
        self.arm_code = arm_code


class AuthenticationError(GatewayError):
    """No usable credential for the target environment."""


class PlanError(ConnectoropsError):
    """A plan cannot be made or applied (blocked by a guard, stale, malformed)."""


class PlanBlocked(PlanError):
    """A guard refused an action (connection loss, empty desired set, max deletions)."""


class StalePlanError(PlanError):
    """The world changed since the plan was made; make a new plan."""


class GitError(ConnectoropsError):
    """A git revision, remote or working tree cannot be read."""


class EnvironmentLocked(ConnectoropsError):
    """Another apply, `drift --fix` or controller holds the environment's writer lease."""
