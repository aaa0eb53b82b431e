"""Power Platform custom connectors (and their sharing) as Pulumi dynamic resources, through the Target protocol.

No Pulumi provider has a Power Platform custom connector, so create/diff/update/delete call the environment's
Target (create_connector, update_connector, delete_connector, get_connector; grant/revoke for sharing). The
provider is pickled into the stack's state and runs in Pulumi's provider process: it holds only how to open
the target (`TargetOpener`), never a connection or a secret. diff compares git's fingerprint with the one in
the connector's ownership record; delete makes the engine's check at the moment of deletion
(engine/delete_check.py). Secret values come in as Pulumi secrets and never go back out: outputs hold no
secret, and the inputs holding them are stored encrypted.
"""

from __future__ import annotations

import atexit
import copy
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectorops.pulumi_stack.extra import PulumiExtraMissing

try:
    import pulumi
    import pulumi.dynamic as dynamic
except ImportError as missing:
    raise PulumiExtraMissing("the Pulumi program (infra/)", missing) from None

from connectorops import tags
from connectorops.engine.actions import CUSTOM_API, Action, ActionKind
from connectorops.engine.delete_check import delete_refusal
from connectorops.engine.deletion_policy import ALLOW_CONNECTION_LOSS
from connectorops.engine.observe import belongs_to, resource_tags
from connectorops.engine.secrets import scrub, set_at_pointer
from connectorops.engine.target import Target
from connectorops.errors import ConnectoropsError
from connectorops.pulumi_stack.settings import CONFIG_NAMESPACE, parse_name_list
from connectorops.render import DesiredCustomApi

# Opens the environment's target; must pickle (dill) into the stack state: plain data and importable code only.
TargetOpener = Callable[[], AbstractContextManager[Target]]
CONFIG_ALLOW_CONNECTION_LOSS = f"{CONFIG_NAMESPACE}:allowConnectionLoss"
ACKNOWLEDGE_IN_CONFIG = f"then acknowledge them: pulumi config set --path '{CONFIG_ALLOW_CONNECTION_LOSS}[0]'"


@dataclass(frozen=True)
class EnvironmentTarget:
    """How the provider process opens the target: the repository's connectorops.yaml and an environment name."""

    repo_root: str
    environment: str

    def __call__(self) -> AbstractContextManager[Target]:
        from connectorops.engine.pipeline import Inputs
        from connectorops.spec.loader import load_repository
        from connectorops.spec.source import FileSystemTree
        from connectorops.targets.connect import connect

        root = Path(self.repo_root)
        return connect(Inputs(root, load_repository(FileSystemTree(root)), self.environment, None))


class TargetSession:
    """The provider process's one target: opened on first use and kept until the process exits.

    Pulumi's provider process serves every resource of the stack (a diff each, at least), so opening the target
    per call would sign in and set up a client per connector. Pickles as the recipe alone.
    """

    def __init__(self, open_target: TargetOpener) -> None:
        self.open_target = open_target
        self._target: Target | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Target:
        with self._lock:
            if self._target is None:
                stack = ExitStack()
                self._target = stack.enter_context(self.open_target())
                atexit.register(stack.close)  # e.g. the local emulator's server stops with the process
            return self._target

    def __getstate__(self) -> dict[str, Any]:
        return {"open_target": self.open_target}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["open_target"])  # type: ignore[misc]


class ConnectorProviderError(Exception):
    """What `pulumi up` shows when a write is refused; it never holds a secret value."""


def connector_inputs(api: DesiredCustomApi, environment: str) -> dict[str, Any]:
    """A PowerPlatformConnector's inputs for one rendered connector, less `secrets` (the caller adds them)."""
    return {
        "connector": api.name,
        "environment": environment,
        "fingerprint": api.fingerprint,
        "deletionPolicy": api.deletion_policy,
        "sourcePath": api.source_path,
        "adopt": api.adopt,
        "body": api.body,  # secret references only
        # adopting the connector the environment lists by another name (only then: other inputs stay as they were)
        **({"adoptFrom": api.adopt_from} if api.adopt_from else {}),
    }


def _secret_values(props: Mapping[str, Any]) -> dict[str, str]:
    value = props.get("secrets")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _body_with_secrets(props: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The rendered body (references only) with the secret values written at their pointers, and the values."""
    body: dict[str, Any] = copy.deepcopy(dict(props.get("body") or {}))
    secrets = _secret_values(props)
    if secrets:
        params = body.setdefault("properties", {}).setdefault("connectionParameters", {})
        for pointer, value in sorted(secrets.items()):
            set_at_pointer(params, pointer, value)
    return body, list(secrets.values())


def _outputs(props: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """What the stack state keeps: names, the fingerprint, the deletion policy; never the body or a secret."""
    properties = live.get("properties") or {}
    return {
        "connector": props["connector"],
        "environment": props["environment"],
        "fingerprint": props["fingerprint"],
        "deletionPolicy": props.get("deletionPolicy") or "protect",
        "sourcePath": props.get("sourcePath") or "",
        "apiName": str(properties.get("apiName") or live.get("name") or props["connector"]),
        "connectorId": str(live.get("id") or ""),
    }


class ConnectorProvider(dynamic.ResourceProvider):
    """create/diff/update/delete of one custom connector through the Target protocol."""

    serialize_as_secret_always = True  # the pickled provider is state like any other: keep it encrypted

    def __init__(self, open_target: TargetOpener) -> None:
        super().__init__()
        self._target = TargetSession(open_target)
        self._allow_connection_loss: frozenset[str] = frozenset()

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        """The running stack's config: `connectorops:allowConnectionLoss` acknowledges a deletion's connections."""
        raw = req.config.get(CONFIG_ALLOW_CONNECTION_LOSS)
        self._allow_connection_loss = parse_name_list(raw, "allowConnectionLoss") if raw else frozenset()

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        name = str(props["connector"])
        body, values = _body_with_secrets(props)
        target = self._target()
        listed = str(props.get("adoptFrom") or "") or None
        live = target.get_connector(listed or name) if props.get("adopt") else None
        if listed and (live is None or tags.is_managed(resource_tags(live))):
            # never a create instead of the adoption git asked for (the plan blocks this first; a race lands here)
            raise ConnectorProviderError(
                f"connector {name!r} adopts {listed!r}, which is "
                + ("not in the environment" if live is None else "managed by connectorops")
                + "; run `connectorops plan` to see why"
            )
        if live is not None and not tags.is_managed(resource_tags(live)):
            # `import` declared it with the adopt label: take the unmanaged connector over, as apply does.
            written = _write(
                lambda: target.update_connector(name, body, etag=live.get("etag"), listed_as=listed), values
            )
        else:
            written = _write(lambda: target.create_connector(name, body), values)
        outs = _outputs(props, written)
        return dynamic.CreateResult(outs["apiName"], outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        """Changed when git's fingerprint differs from the record's (read live), or from the last deployment's."""
        if str(olds.get("connector", "")).lower() != str(news.get("connector", "")).lower():
            return dynamic.DiffResult(changes=True, replaces=["connector"], delete_before_replace=True)
        wanted = news.get("fingerprint")
        target = self._target()
        live = target.get_connector(str(news["connector"]))
        recorded = resource_tags(live).get(tags.FINGERPRINT) if live is not None else None
        stale_state = olds.get("fingerprint") != wanted or olds.get("deletionPolicy") != news.get("deletionPolicy")
        return dynamic.DiffResult(changes=live is None or recorded != wanted or stale_state)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        name = str(news["connector"])
        body, values = _body_with_secrets(news)
        target = self._target()
        live = target.get_connector(name)
        if live is None:
            raise ConnectorProviderError(
                f"connector {name!r} is gone from the environment; run `pulumi refresh`, then `pulumi up`"
            )
        if not belongs_to(live, str(news["environment"])):
            raise ConnectorProviderError(
                f"connector {name!r} is no longer managed by connectorops for environment "
                f"{news['environment']!r}; it is never modified"
            )
        updated = _write(lambda: target.update_connector(name, body, etag=live.get("etag")), values)
        return dynamic.UpdateResult(_outputs(news, updated))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Deleted only if every live connection is acknowledged now (engine/delete_check.py); raises otherwise."""
        name = str(props["connector"])
        policy = str(props.get("deletionPolicy") or "protect")
        origin = "the stack's last deployment"
        if name.lower() in {n.lower() for n in self._allow_connection_loss}:
            # Pulumi cannot pass on the connections the preview showed: the stack config acknowledges them all.
            policy, origin = ALLOW_CONNECTION_LOSS, CONFIG_ALLOW_CONNECTION_LOSS
        target = self._target()
        action = Action(
            kind=ActionKind.DELETE,
            resource_type=CUSTOM_API,
            name=name,
            connector=name,
            resource_id=target.connector_id(name),
            deletion_policy=policy,
            deletion_policy_origin=origin,
        )
        refusal = delete_refusal(action, target, str(props["environment"]))
        if refusal is not None:
            raise ConnectorProviderError(refusal.replace("then pass --allow-connection-loss", ACKNOWLEDGE_IN_CONFIG))
        _write(lambda: target.delete_connector(name), [])


class GrantProvider(dynamic.ResourceProvider):
    """A sharing grant (Power Platform: a connector permission): created once, replaced on any change."""

    serialize_as_secret_always = False  # no secret: readable previews

    def __init__(self, open_target: TargetOpener) -> None:
        super().__init__()
        self._target = TargetSession(open_target)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        target = self._target()
        granted = _write(lambda: target.grant(str(props["connector"]), str(props["name"]), dict(props["body"])), [])
        grant_id = str(granted.get("id") or props["name"])
        return dynamic.CreateResult(grant_id, {**props, "grantId": grant_id})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = [k for k in ("connector", "name", "body") if olds.get(k) != news.get(k)]
        return dynamic.DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=True)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        target = self._target()
        _write(lambda: target.revoke(str(props.get("grantId") or id_)), [])


def _write(call: Callable[[], Any], secrets: list[str]) -> Any:
    """Run one target write; its refusal becomes the provider's error, scrubbed of the secret values sent."""
    try:
        return call()
    except ConnectoropsError as error:
        text = "\n".join(str(p) for p in error.problems)
        raise ConnectorProviderError(scrub(text, secrets)) from None


class PowerPlatformConnector(dynamic.Resource, module="connectorops", name="PowerPlatformConnector"):
    """A custom connector in a Power Platform environment, deployed by ConnectorProvider."""

    apiName: pulumi.Output[str]
    connectorId: pulumi.Output[str]
    fingerprint: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        provider: ConnectorProvider,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        outputs = {"apiName": None, "connectorId": None}
        super().__init__(provider, resource_name, {**outputs, **props}, opts)


class PowerPlatformGrant(dynamic.Resource, module="connectorops", name="PowerPlatformGrant"):
    """One sharing grant of a Power Platform custom connector, deployed by GrantProvider."""

    grantId: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        provider: GrantProvider,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(provider, resource_name, {"grantId": None, **props}, opts)
