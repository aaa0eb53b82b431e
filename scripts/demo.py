"""`make demo`: the connectorops story on the embedded local target, no Azure account needed.

Copies the repository's connectors and policies into a scratch git workspace, then runs the real
CLI step by step (validate, plan, apply, breaking change, blocked deletion, drift), narrating each.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from demo_portal import LogicAppCall, create_connection, create_logic_app, edit_description, grant_role, portal
from demo_terminal import Narrator, StoryBroken, child_environment
from demo_workspace import DemoWorkspace, WorkspaceError, remove_operation
from git import GitCommandError
from rich.console import Console
from rich.markup import escape

from connectorops.errors import ConnectoropsError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKSPACE = REPO_ROOT / ".connectorops" / "demo"

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


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--workspace",
        type=Path,
        default=DEFAULT_WORKSPACE,
        help="scratch folder for the demo's git repo and emulator state (wiped first; default: %(default)s)",
    )
    parser.add_argument(
        "--source", type=Path, default=REPO_ROOT, help="where connectorops.yaml, connectors/ and policies/ come from"
    )
    parser.add_argument(
        "--demo-secret",
        default=None,
        help="value given to every {env: NAME} secret the connectors reference (default: random per run)",
    )
    return parser.parse_args(argv)


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


def tell_the_story(story: Narrator, workspace: DemoWorkspace) -> None:
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
        f"connectors/{CONNECTOR}/connector.yaml and apply it (the policy is recorded on the connector), then "
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


def check_no_secret_printed(story: Narrator, secret_values: Sequence[str]) -> None:
    leaked = [run for run in story.runs if any(value in run.output for value in secret_values)]
    if leaked:
        commands = ", ".join("connectorops " + " ".join(run.argv) for run in leaked)
        raise StoryBroken("secrets", f"a demo secret value appeared in the output of: {commands}")


def main(argv: Sequence[str] = sys.argv[1:]) -> int:
    options = parse_args(argv)
    console = Console(highlight=False)
    if not console.is_terminal:  # a CI log: as wide as the CLI output (child_environment), not 80
        console = Console(highlight=False, width=120)
    started = time.monotonic()
    try:
        workspace = DemoWorkspace.create(options.source, options.workspace)
    except (WorkspaceError, OSError) as error:
        console.print(f"[bold red]demo cannot start:[/] {error}", markup=True)
        return 1
    names = workspace.env_secret_names()
    secret_values = {name: options.demo_secret or f"demo-{secrets.token_hex(12)}" for name in names}
    story = Narrator(console, workspace.root, child_environment(console, secret_values))
    story.title("connectorops demo: custom connectors the GitOps way, on a laptop, no Azure account")
    story.say(
        f"Workspace: [bold]{workspace.root}[/] (a git copy of connectorops.yaml, connectors/ and policies/; "
        "your checkout is never touched). Target: the embedded local ARM emulator, state in its .connectorops/."
    )
    story.say(
        f"Secrets: {', '.join(names) or 'none'} set to throwaway values for the CLI processes only; "
        "every output is checked for them at the end."
    )
    try:
        tell_the_story(story, workspace)
        check_no_secret_printed(story, sorted(set(secret_values.values())))
    except StoryBroken as broken:
        console.print(f"\n[bold red]DEMO FAILED[/] at {broken}", markup=True)
        return 1
    except (ConnectoropsError, GitCommandError) as error:  # the simulated user's requests, the workspace's git
        console.print(f"\n[bold red]DEMO FAILED[/] at step {story.step!r}: {error}", markup=True)
        return 1
    elapsed = time.monotonic() - started
    story.chapter(
        "The end",
        f"{len(story.runs)} connectorops commands, every exit code as expected, {elapsed:.0f} s in all. "
        f"No secret value appeared in any output ({sum(len(r.output) for r in story.runs)} characters checked).",
        f"Look around: cd {workspace.root} && git log --oneline && connectorops plan",
        "Run `make demo` again to start over from a fresh workspace.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
