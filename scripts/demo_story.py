"""The demo's story in acts: deploy, a simulated user, a breaking change, a blocked deletion, drift, Power Automate.

Each act narrates, changes the workspace or (as a simulated user) the target, and runs the real CLI.
"""

from __future__ import annotations

from collections.abc import Callable

from demo_portal import LogicAppCall, create_connection, create_logic_app, edit_description, grant_role, portal
from demo_story_powerplatform import POWER_AUTOMATE_ACTS
from demo_terminal import Narrator
from demo_workspace import DemoWorkspace, remove_operation
from rich.markup import escape

CONNECTOR = "orders"
CONNECTION = "orders-sales"
LOGIC_APP = "cancel-unpaid-orders"
REMOVED_OPERATION = "CancelOrder"
CALLS = (
    LogicAppCall("Get_order", "get", "/orders/@{encodeURIComponent(triggerBody()['orderId'])}"),
    LogicAppCall("Cancel_order", "delete", "/orders/@{encodeURIComponent(triggerBody()['orderId'])}"),
)
PORTAL_DESCRIPTION = "Orders (edited in the portal by someone in a hurry)"
PORTAL_PRINCIPAL = "alice"  # in policies/sharing.yaml, but no connector.yaml shares anything with her
PORTAL_ROLE = "use"


def markdown_excerpt(markdown: str) -> str:
    """The PR comment without its long certification list, so the connector's section stays in view."""
    kept: list[str] = []
    skipping = False
    for line in markdown.splitlines():
        if line.startswith("### Certification"):
            skipping = True
            kept.append("### Certification  (… advisory findings folded away in this excerpt …)")
            continue
        if skipping:
            skipping = line.strip() != "</details>"
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def deploy(story: Narrator, workspace: DemoWorkspace) -> None:
    """validate, plan, apply, plan: from git to a target that matches it."""
    story.chapter(
        "Validate what git declares",
        "connectors/ holds three connectors, one per definition style: an OpenAPI file (orders), a Postman "
        "collection (balance-control) and a paconn folder (d7sms); policies/ says who may be granted what. "
        "`validate` loads and checks all of it offline and names file and line of any mistake.",
    )
    story.run("validate", expect=0, mentions=(CONNECTOR, "balance-control", "d7sms"))

    story.chapter(
        "Plan: git against the target",
        "`plan` diffs what git declares against what the target (here the embedded emulator) really has. "
        f"Look at the title: the plan is for commit {workspace.head[:12]}, and apply writes that commit into a tag "
        "on every connector. Exit code 2 means: there are changes.",
    )
    story.run("plan", expect=2, mentions=(CONNECTOR, "balance-control", "d7sms"))

    story.chapter(
        "Apply",
        "`apply` shows the same plan and executes it (--yes: no question asked, as in CI). "
        "Running `plan` again right after proves the target now matches git: exit code 0.",
    )
    story.run("apply", "--yes", expect=0, mentions=(CONNECTOR,))
    story.run("plan", expect=0)


def simulate_a_user(story: Narrator, workspace: DemoWorkspace) -> None:
    """Someone else's connection and Logic App: what the guards of the next acts protect."""
    story.chapter(
        "Simulating a user",
        "This step is NOT connectorops: the demo plays a colleague who, in the Azure portal, creates a connection "
        f"to the `{CONNECTOR}` connector and a Logic App (Consumption) that uses it. Done here through the "
        "gateway, against the same emulator.",
    )
    with portal(workspace.root) as gateway:
        connection = create_connection(gateway, CONNECTOR, CONNECTION)
        create_logic_app(gateway, LOGIC_APP, CONNECTOR, connection, CALLS)
    story.note(f"connection [bold]{CONNECTION}[/] → custom connector {CONNECTOR}")
    calls = ", then ".join(f"{call.method.upper()} {call.path}" for call in CALLS)
    story.note(f"Logic App [bold]{LOGIC_APP}[/] (Consumption) calls {escape(calls)}")


def breaking_change(story: Narrator, workspace: DemoWorkspace) -> None:
    """A pull request removes an operation the Logic App calls; plan names both."""
    openapi = workspace.root / "connectors" / CONNECTOR / "openapi.yaml"
    story.chapter(
        "A pull request removes an operation",
        f"Someone deletes the {REMOVED_OPERATION} operation (DELETE /orders/{{orderId}}) from "
        f"connectors/{CONNECTOR}/openapi.yaml. `plan` compares the swaggers and names every breaking change "
        "with the Logic Apps that call the operation: the reviewer sees who breaks before merging. "
        "(`deployed from commit` is read from the tag apply wrote in step 3.)",
    )
    remove_operation(openapi, REMOVED_OPERATION)
    story.note(f"edited connectors/{CONNECTOR}/openapi.yaml: operation {REMOVED_OPERATION} removed (not committed)")
    story.run("plan", expect=2, mentions=(REMOVED_OPERATION, LOGIC_APP))
    story.say("In CI the same plan becomes the pull request's comment (`--markdown`); an excerpt:")
    story.run("plan", "--markdown", expect=2, mentions=(REMOVED_OPERATION, LOGIC_APP), show=markdown_excerpt)
    workspace.restore(f"connectors/{CONNECTOR}/openapi.yaml")
    story.note("the pull request is not merged: openapi.yaml is back as committed")


def blocked_deletion(story: Narrator, workspace: DemoWorkspace) -> None:
    """Removing the connector from git is blocked while it has connections; the ways out."""
    story.chapter(
        "Deleting a connector that is still in use",
        f"Now someone removes the whole connectors/{CONNECTOR} folder and commits. Deleting a custom connector in "
        "Azure deletes all its connections, so `plan` refuses: the deletion is BLOCKED (exit code 1), naming the "
        "connection and the Logic App that would break.",
    )
    workspace.remove(f"connectors/{CONNECTOR}")
    removal = workspace.commit(f"Remove the {CONNECTOR} connector")
    story.note(f"committed {removal[:12]}: connectors/{CONNECTOR}/ deleted")
    story.run("plan", expect=1, mentions=(CONNECTION, LOGIC_APP, "BLOCKED"))

    story.chapter(
        "Two ways out",
        "(a) In git: first merge `lifecycle: {deletion: allow-connection-loss}` in "
        f"connectors/{CONNECTOR}/connector.yaml and apply it (the connector records that commit, and the policy "
        "is read from git there, never from a tag), then "
        "remove the folder; or `deletion: orphan` to stop managing it and leave it in Azure.",
        "(b) For one run: an operator passes `--allow-connection-loss NAME`. The plan is then allowed, and "
        "still warns about the connection it will cut:",
    )
    story.run("plan", "--allow-connection-loss", CONNECTOR, expect=2, mentions=(CONNECTION, LOGIC_APP))
    story.say(
        f"We do not apply it: {LOGIC_APP} would break. Instead the folder comes back, and git and the target agree:"
    )
    workspace.restore(f"connectors/{CONNECTOR}", "HEAD~1")
    restored = workspace.commit(f"Bring the {CONNECTOR} connector back")
    story.note(f"committed {restored[:12]}: connectors/{CONNECTOR}/ restored")
    story.run("plan", expect=0)


def out_of_band_drift(story: Narrator, workspace: DemoWorkspace) -> None:
    """A portal edit and an undeclared grant; drift reports them and --fix puts git's state back."""
    story.chapter(
        "Someone changes things in the portal",
        "Again the demo plays a user, not connectorops: they edit the connector's description in the portal "
        f"and share it with {PORTAL_PRINCIPAL} (a person policies/sharing.yaml knows, but no connector.yaml "
        "grants anything to).",
    )
    with portal(workspace.root) as gateway:
        edit_description(gateway, CONNECTOR, PORTAL_DESCRIPTION)
        grant_role(gateway, workspace.root, CONNECTOR, PORTAL_PRINCIPAL, PORTAL_ROLE)
    story.note(f"{CONNECTOR}: description changed to {PORTAL_DESCRIPTION!r}")
    story.note(f"{CONNECTOR}: role '{PORTAL_ROLE}' granted to {PORTAL_PRINCIPAL}")

    story.chapter(
        "Drift",
        "`drift` (in CI: every hour) compares the target with git and reports what changed out of band: "
        "exit code 2. `drift --fix` applies the correcting plan under the same guards as apply; a last "
        "`drift` confirms the target is back to what git says.",
    )
    story.run("drift", expect=2, mentions=("description", PORTAL_PRINCIPAL))
    story.run("drift", "--fix", expect=0, mentions=(PORTAL_PRINCIPAL,))
    story.run("drift", expect=0)


ACTS: tuple[Callable[[Narrator, DemoWorkspace], None], ...] = (
    deploy,
    simulate_a_user,
    breaking_change,
    blocked_deletion,
    out_of_band_drift,
    *POWER_AUTOMATE_ACTS,  # the same guards on the emulator's Power Platform surface
)


def tell_the_story(story: Narrator, workspace: DemoWorkspace) -> None:
    for act in ACTS:
        act(story, workspace)
