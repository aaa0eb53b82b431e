"""A lease in the target itself so two controllers on one environment never apply at the same time.

The lease is a marker Microsoft.Web/customApis resource whose tags name the holder and the expiry; it is
taken and renewed with compare-and-swap (PUT If-Match: etag, created with If-None-Match: *; a lost race is a 412).
It is not tagged managed-by=connectorops, so plans never touch it; `is_lease_marker` lets drift and import skip it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectorops.errors import GatewayError
from connectorops.tags import LEASE_HOLDER, LEASE_PREFIX
from connectorops.targets.arm.target import ArmGatewayLike

log = logging.getLogger("connectorops.gitops.lease")

HOLDER_TAG = LEASE_HOLDER
EXPIRES_TAG = "connectorops-lease-expires"
ENVIRONMENT_TAG = "connectorops-lease-environment"
PRECONDITION_FAILED = 412


def lease_name(environment: str) -> str:
    """The marker's ARM name for an environment (a valid customApis name, at most 80 characters)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", environment)[: 80 - len(LEASE_PREFIX)]
    return LEASE_PREFIX + (safe or "default")


@dataclass(frozen=True)
class LeaseRecord:
    holder: str
    expires: float  # unix seconds
    etag: str | None

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> LeaseRecord:
        tags = resource.get("tags") or {}
        try:
            expires = datetime.fromisoformat(str(tags.get(EXPIRES_TAG, ""))).timestamp()
        except ValueError:
            expires = 0.0  # unreadable expiry: treat as expired so a broken marker cannot block forever
        return cls(holder=str(tags.get(HOLDER_TAG, "")), expires=expires, etag=resource.get("etag"))


class Lease:
    """One controller's claim on one environment. `acquire()` takes or renews; `release()` gives it up."""

    def __init__(
        self,
        gateway: ArmGatewayLike,
        environment: str,
        holder: str,
        *,
        ttl: float,
        clock: Callable[[], float] = time.time,
        abandoned: Callable[[str], bool] = lambda holder: False,
    ) -> None:
        """`abandoned(holder)`: True when that holder is known dead (a CLI run on this host whose process ended),
        so its lease is taken over without waiting for the expiry."""
        self.gateway = gateway
        self._abandoned = abandoned
        self.environment = environment
        self.holder = holder
        self.ttl = ttl
        self.name = lease_name(environment)
        self._clock = clock
        self._etag: str | None = None
        self.held = False
        self.seen_holder: str | None = None  # who held it at the last look (for /status)
        self.expires_at: float | None = None

    def _body(self, holder: str, expires: float) -> dict[str, Any]:
        return {
            "location": self.gateway.target.location,
            "tags": {
                HOLDER_TAG: holder,
                EXPIRES_TAG: datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds"),
                ENVIRONMENT_TAG: self.environment,
            },
            "properties": {
                "displayName": f"connectorops controller lease ({self.environment})",
                "description": "Coordinates connectorops controllers; not a connector. Do not delete while they run.",
                "apiType": "Rest",
            },
        }

    def _put(
        self, holder: str, expires: float, *, if_match: str | None, if_none_match: str | None = None
    ) -> dict[str, Any] | None:
        """The new marker, or None when another controller changed it first (412)."""
        try:
            return self.gateway.put_custom_api(
                self.name, self._body(holder, expires), if_match=if_match, if_none_match=if_none_match
            )
        except GatewayError as error:
            if error.status == PRECONDITION_FAILED:
                return None
            raise

    def _lost(self, holder: str | None) -> bool:
        if self.held:
            log.warning("lease lost", extra={"event": "lease_lost", "lease": self.name, "holder": holder})
        self.held = False
        self._etag = None
        self.seen_holder = holder
        return False

    def _won(self, resource: Mapping[str, Any], expires: float) -> bool:
        if not self.held:
            log.info("lease acquired", extra={"event": "lease_acquired", "lease": self.name, "holder": self.holder})
        self.held = True
        self._etag = resource.get("etag")
        self.seen_holder = self.holder
        self.expires_at = expires
        return True

    def acquire(self) -> bool:
        """Take the lease if free, expired or ours (renewing it); False when another live holder has it."""
        now = self._clock()
        expires = now + self.ttl
        current = self.gateway.get_custom_api(self.name)
        if current is None:
            return self._create(expires)
        record = LeaseRecord.from_resource(current)
        live = record.expires > now and not self._abandoned(record.holder)
        if record.holder and record.holder != self.holder and live:
            self.expires_at = record.expires
            return self._lost(record.holder)
        # Free, expired or ours: compare-and-swap on the etag we just read, so only one contender wins.
        updated = self._put(self.holder, expires, if_match=record.etag)
        if updated is None:
            return self._lost(None)
        if record.holder == self.holder:
            return self._won(updated, expires)  # a renewal
        return self._confirm(updated, expires)

    def _create(self, expires: float) -> bool:
        # If-None-Match: * makes the create itself a compare-and-swap: of two first-time contenders, one gets 412.
        created = self._put(self.holder, expires, if_match=None, if_none_match="*")
        if created is None:
            current = self.gateway.get_custom_api(self.name)
            return self._lost(LeaseRecord.from_resource(current).holder if current else None)
        return self._confirm(created, expires)

    def _confirm(self, written: Mapping[str, Any], expires: float) -> bool:
        # Belt and braces for a takeover: read back that our write is the one that stuck, in case an
        # ARM endpoint ignores conditional headers (the emulator honours them; Azure's RP is unverified).
        current = self.gateway.get_custom_api(self.name)
        record = LeaseRecord.from_resource(current) if current else None
        if record is None or record.holder != self.holder or (written.get("etag") and record.etag != written["etag"]):
            return self._lost(record.holder if record else None)
        return self._won(written, expires)

    def check(self) -> bool:
        """Still ours and unexpired by our own clock (cheap: no request)."""
        return self.held and self.expires_at is not None and self.expires_at > self._clock()

    def release(self) -> None:
        """Give the lease up at once (graceful shutdown) so another controller need not wait for expiry."""
        if not self.held:
            return
        try:
            self._put("", 0.0, if_match=self._etag)
            log.info("lease released", extra={"event": "lease_released", "lease": self.name})
        except GatewayError as error:
            log.warning("lease release failed", extra={"event": "lease_release_failed", "error": error.problem.message})
        self.held = False
        self._etag = None
