"""What is deployed: one paged list per collection of the target, nothing per connector.

Swagger documents are downloaded only where a decision needs them: a managed connector whose
fingerprint tag is missing or differs from git (an update whose breaking changes we must show),
or every managed connector in drift mode. A long-running caller (the controller) passes a
`SwaggerCache` so an unchanged connector is not downloaded again on every interval.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectorops import tags
from connectorops.engine.impact import LOGIC_APP
from connectorops.engine.target import ALIASES, ARM
from connectorops.render import definition_of

if TYPE_CHECKING:
    from connectorops.engine.target import Target
    from connectorops.render import DesiredCustomApi

DOWNLOAD_WORKERS = 4


class SwaggerCache:
    """Deployed swaggers keyed by (resource id, etag), least recently used evicted first.

    ARM gives a resource a new etag on every write, so an unchanged etag means an unchanged
    swagger; a resource without an etag is never cached. Thread-safe; hands out copies.
    Entries are kept as JSON text (swaggers arrive as JSON): json.loads copies several times
    faster than copy.deepcopy, which was the largest cost of an idle controller interval.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    @staticmethod
    def _key(api: dict[str, Any]) -> tuple[str, str] | None:
        etag = api.get("etag")
        resource_id = api.get("id")
        if not etag or not resource_id:
            return None
        return str(resource_id).lower(), str(etag)

    def get(self, api: dict[str, Any]) -> dict[str, Any] | None:
        text = self.get_text(api)
        if text is None:
            return None
        copied: dict[str, Any] = json.loads(text)
        return copied

    def get_text(self, api: dict[str, Any]) -> str | None:
        """The swagger as JSON text (observe parses it only when a decision reads it)."""
        key = self._key(api)
        with self._lock:
            if key is None or key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, api: dict[str, Any], swagger: dict[str, Any]) -> None:
        key = self._key(api)
        if key is None:
            return
        text = json.dumps(swagger)
        with self._lock:
            self._entries[key] = text
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class ObservedState:
    """The target's inventory: connectors (with their markers, fingerprint, deletion policy, etag), grants,
    connections and consumers, as the target's JSON, plus the deployed definitions that were downloaded."""

    scope_id: str
    custom_apis: tuple[dict[str, Any], ...] = ()
    connections: tuple[dict[str, Any], ...] = ()
    role_assignments: tuple[dict[str, Any], ...] = ()
    workflows: tuple[dict[str, Any], ...] = ()
    # customApi name (lower case) -> deployed swagger, for the ones that were downloaded
    swaggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # what the target is (its Capabilities): what `workflows` holds (Logic Apps or flows), and whether a
    # principal holds at most one role per connector there (Power Platform)
    consumer_kind: str = LOGIC_APP
    one_role_per_principal: bool = False
    # an adopt label may name a connector listed by another name (Capabilities.adopts_under_another_name)
    adopts_under_another_name: bool = False
    # what reports call the target the inventory came from ("absent in Azure", "granted in Power Platform")
    place: str = "Azure"
    # the same, as JSON text, for the ones a SwaggerCache answered: parsed on first use, so an idle
    # controller interval whose plan is reused (engine/plan_memo.py) parses none of them
    swagger_texts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Planning looks every desired connector up by name: index once, not a scan per lookup.
        index = {str(c.get("name", "")).lower(): c for c in self.custom_apis}
        object.__setattr__(self, "_by_name", index)
        object.__setattr__(self, "_parsed", {})

    def custom_api(self, name: str) -> dict[str, Any] | None:
        by_name: dict[str, dict[str, Any]] = self.__dict__["_by_name"]
        return by_name.get(name.lower())

    def known_as(self, name: str) -> dict[str, Any] | None:
        """The connector listed as `name`, else the one the target also knows by that name (target.ALIASES)."""
        found = self.custom_api(name)
        if found is not None:
            return found
        wanted = name.lower()
        return next((c for c in self.custom_apis if wanted in {str(a).lower() for a in c.get(ALIASES) or ()}), None)

    def swagger_of(self, name: str) -> dict[str, Any] | None:
        inline = definition_of(self.custom_api(name) or {})
        if inline:
            return inline
        key = name.lower()
        if key in self.swaggers or key not in self.swagger_texts:
            return self.swaggers.get(key)
        parsed: dict[str, dict[str, Any]] = self.__dict__["_parsed"]
        if key not in parsed:
            parsed[key] = json.loads(self.swagger_texts[key])
        return parsed[key]

    def managed_custom_apis(self, environment: str) -> list[dict[str, Any]]:
        """Ours for this environment: managed-by tag set and the environment tag matching."""
        return [c for c in self.custom_apis if belongs_to(c, environment)]


def resource_tags(resource: dict[str, Any]) -> dict[str, str]:
    value = resource.get("tags")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def belongs_to(resource: dict[str, Any], environment: str) -> bool:
    found = resource_tags(resource)
    return tags.is_managed(found) and found.get(tags.ENVIRONMENT, environment) == environment


def _needs_swagger(api: dict[str, Any], desired: dict[str, DesiredCustomApi], drift: bool) -> bool:
    found = resource_tags(api)
    want = desired.get(str(api.get("name", "")).lower())
    if not tags.is_managed(found):
        return want is not None and want.adopt  # adoption shows what differs, swagger included
    if definition_of(api):
        return False
    if drift:
        return True
    return want is not None and found.get(tags.FINGERPRINT) != want.fingerprint


def observe(
    target: Target,
    *,
    desired: Iterable[DesiredCustomApi] = (),
    drift: bool = False,
    swagger_cache: SwaggerCache | None = None,
) -> ObservedState:
    """List connectors, connections, grants and consumers; download the definitions a decision needs."""
    custom_apis = tuple(target.list_connectors())
    desired = tuple(desired)
    # by name, and by the name an adopt label gives (the connector is listed so until it is adopted)
    wanted = {d.adopt_from.lower(): d for d in desired if d.adopt_from} | {d.name.lower(): d for d in desired}
    needed = [api for api in custom_apis if _needs_swagger(api, wanted, drift)]
    swaggers: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    if swagger_cache is not None:
        for api in needed:
            cached = swagger_cache.get_text(api)
            if cached is not None:
                texts[str(api.get("name", "")).lower()] = cached
        needed = [api for api in needed if str(api.get("name", "")).lower() not in texts]
    # Downloads are independent GETs: a few in parallel (targets are thread-safe).
    with ThreadPoolExecutor(max_workers=DOWNLOAD_WORKERS) as pool:
        for api, document in zip(needed, pool.map(target.download_definition, needed), strict=True):
            if document is not None:
                swaggers[str(api.get("name", "")).lower()] = document
                if swagger_cache is not None:
                    swagger_cache.put(api, document)
    return ObservedState(
        scope_id=target.scope_id(),
        custom_apis=custom_apis,
        connections=tuple(target.list_connections()),
        role_assignments=tuple(target.list_grants()),
        workflows=tuple(target.list_consumers()),
        swaggers=swaggers,
        consumer_kind=target.capabilities.consumers,
        place="Azure" if target.identity.kind == ARM else "Power Platform",
        one_role_per_principal=target.capabilities.one_role_per_principal,
        adopts_under_another_name=target.capabilities.adopts_under_another_name,
        swagger_texts=texts,
    )
