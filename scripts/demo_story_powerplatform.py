"""The demo's Power Automate part: the same repository, a Power Platform environment of the local emulator.

A paconn connector with a policy template and custom code is applied, a (simulated) maker builds a
connection and a flow on it, then the guards of the ARM part hold here too: a removed operation names
the flow, a deletion is blocked naming connection and flow, a share made in the portal is drift.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from demo_maker import create_connection, create_flow, deployed_extras, maker_portal, share
from demo_terminal import Narrator, StoryBroken
from demo_workspace import DemoWorkspace, WorkspaceError, remove_json_operation

ENVIRONMENT = "makers-local"
CONNECTOR = "helpdesk"
CONNECTION = "helpdesk-support"
FLOW = "close-resolved-tickets"
FLOW_CALLS = ("GetTicket", "CloseTicket")
REMOVED_OPERATION = "CloseTicket"
SHARED_WITH = "alice"  # in policies/sharing.yaml; no connector.yaml shares helpdesk with her
PORTAL_ROLE = "CanEdit"
EXAMPLE = Path(__file__).resolve().parent / "demo_powerplatform" / CONNECTOR
DEFINITION = f"connectors/{CONNECTOR}/paconn/apiDefinition.swagger.json"


def add_the_connector(story: Narrator, workspace: DemoWorkspace) -> None:
    """A paconn folder with a policy template and script.csx, deployed to the Power Platform surface."""
    story.chapter(
        "Power Automate: a Power Platform environment",
        "Custom connectors also serve Power Automate and Power Apps, where they live in a Power Platform "
        f"environment. connectorops.yaml declares one on the same emulator: `{ENVIRONMENT}: "
        "{target: local, platform: powerplatform}` (a real one is `target: powerplatform` with an environmentId). "
        f"A team adds connectors/{CONNECTOR}: a paconn folder with a policy template (setheader) and custom code "
        "(script.csx for GetTicket), which only Power Platform can carry: on the ARM environment its connector.yaml "
        "strips them, on purpose and visibly.",
    )
    target = workspace.root / "connectors" / CONNECTOR
    if target.exists():
        raise WorkspaceError(f"{target} exists already: the demo adds it itself")
    shutil.copytree(EXAMPLE, target)
    added = workspace.commit(f"Add the {CONNECTOR} connector (paconn, policy template, custom code)")
    story.note(f"committed {added[:12]}: connectors/{CONNECTOR}/ added")
    story.run("validate", "-e", ENVIRONMENT, expect=0, mentions=(CONNECTOR,))
    story.run("plan", "-e", ENVIRONMENT, expect=2, mentions=(CONNECTOR,))
    story.run("apply", "-e", ENVIRONMENT, "--yes", expect=0, mentions=(CONNECTOR,))
    story.run("plan", "-e", ENVIRONMENT, expect=0)
    with maker_portal(workspace.root, ENVIRONMENT) as portal:
        templates, operations, script = deployed_extras(portal, CONNECTOR)
    written = (target / "paconn" / "script.csx").read_bytes()
    if templates != ["setheader"] or operations != ["GetTicket"] or script != written:
        raise StoryBroken(
            story.step,
            f"the deployed {CONNECTOR} lacks what git declares: templates {templates}, scriptOperations "
            f"{operations}, script.csx {'identical' if script == written else 'different or missing'}",
        )
    story.note(
        f"read back from the environment: policy template setheader, scriptOperations GetTicket, "
        f"script.csx ({len(script or b'')} bytes) identical to git's"
    )


def simulate_a_maker(story: Narrator, workspace: DemoWorkspace) -> None:
    story.chapter(
        "Simulating a maker",
        "This step is NOT connectorops: the demo plays a maker who, in Power Automate, creates a connection to "
        f"`{CONNECTOR}` and a cloud flow that calls {' and '.join(FLOW_CALLS)} through it. Done through the "
        "emulator's maker endpoints (PUT apis/…/connections/…, PUT …/environments/…/flows/…).",
    )
    with maker_portal(workspace.root, ENVIRONMENT) as portal:
        connection = create_connection(portal, CONNECTOR, CONNECTION)
        create_flow(portal, FLOW, CONNECTOR, str(connection.get("name") or CONNECTION), FLOW_CALLS)
    story.note(f"connection [bold]{CONNECTION}[/] → custom connector {CONNECTOR}")
    story.note(f"flow [bold]{FLOW}[/] calls {', then '.join(FLOW_CALLS)}")


def breaking_change(story: Narrator, workspace: DemoWorkspace) -> None:
    story.chapter(
        "A pull request removes an operation the flow calls",
        f"Someone deletes {REMOVED_OPERATION} from {DEFINITION}. The plan for {ENVIRONMENT} names the breaking "
        "change and the flow whose actions call that operationId.",
    )
    remove_json_operation(workspace.root / DEFINITION, REMOVED_OPERATION)
    story.note(f"edited {DEFINITION}: operation {REMOVED_OPERATION} removed (not committed)")
    story.run("plan", "-e", ENVIRONMENT, expect=2, mentions=(REMOVED_OPERATION, FLOW))
    workspace.restore(DEFINITION)
    story.note("the pull request is not merged: the definition is back as committed")


def blocked_deletion(story: Narrator, workspace: DemoWorkspace) -> None:
    story.chapter(
        "Deleting a connector a flow uses",
        f"Someone removes connectors/{CONNECTOR} and commits. Deleting a custom connector deletes its connections "
        "in Power Platform too, so the deletion is BLOCKED (exit code 1), naming the connection and the flow.",
    )
    workspace.remove(f"connectors/{CONNECTOR}")
    removal = workspace.commit(f"Remove the {CONNECTOR} connector")
    story.note(f"committed {removal[:12]}: connectors/{CONNECTOR}/ deleted")
    story.run("plan", "-e", ENVIRONMENT, expect=1, mentions=(CONNECTION, FLOW, "BLOCKED"))
    workspace.restore(f"connectors/{CONNECTOR}", "HEAD~1")
    restored = workspace.commit(f"Bring the {CONNECTOR} connector back")
    story.note(f"committed {restored[:12]}: connectors/{CONNECTOR}/ restored")
    story.run("plan", "-e", ENVIRONMENT, expect=0)


def portal_share(story: Narrator, workspace: DemoWorkspace) -> None:
    story.chapter(
        "A share made in the portal",
        f"Again a maker, not connectorops: they share {CONNECTOR} with {SHARED_WITH} as co-owner ({PORTAL_ROLE}) "
        "in the portal. policies/sharing.yaml grants nothing of the kind: `drift` reports it (exit code 2) and "
        "`drift --fix` revokes it through modifyPermissions.",
    )
    with maker_portal(workspace.root, ENVIRONMENT) as portal:
        share(portal, workspace.root, CONNECTOR, SHARED_WITH, PORTAL_ROLE)
    story.note(f"{CONNECTOR}: shared with {SHARED_WITH} ({PORTAL_ROLE})")
    story.run("drift", "-e", ENVIRONMENT, expect=2, mentions=(SHARED_WITH,))
    story.run("drift", "-e", ENVIRONMENT, "--fix", expect=0, mentions=(SHARED_WITH,))
    story.run("drift", "-e", ENVIRONMENT, expect=0)


POWER_AUTOMATE_ACTS = (add_the_connector, simulate_a_maker, breaking_change, blocked_deletion, portal_share)
