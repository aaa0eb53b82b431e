"""The unavoidable work of a no-op plan, as its own process: the baseline the plan benchmark divides by.

Parses every YAML file of the repository with PyYAML's C loader and makes the 4 paged LIST calls
(customApis, connections, roleAssignments, workflows) with `requests`. Nothing else.
Usage: python baseline_noop.py REPO BASE_URL CA_PATH SUBSCRIPTION RESOURCE_GROUP (token in $CONNECTOROPS_ARM_TOKEN)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import requests
import yaml

LISTS = (
    ("providers/Microsoft.Web/customApis", "2016-06-01"),
    ("providers/Microsoft.Web/connections", "2016-06-01"),
    ("providers/Microsoft.Authorization/roleAssignments", "2022-04-01"),
    ("providers/Microsoft.Logic/workflows", "2019-05-01"),
)


def main(repo: str, base_url: str, ca_path: str, subscription: str, resource_group: str) -> int:
    documents = 0
    for path in Path(repo).rglob("*.yaml"):
        if ".connectorops" in path.parts:
            continue
        with path.open("rb") as stream:
            yaml.load(stream, Loader=yaml.CSafeLoader)
        documents += 1
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {os.environ['CONNECTOROPS_ARM_TOKEN']}"
    items = 0
    for collection, api_version in LISTS:
        url: str | None = f"{base_url}/subscriptions/{subscription}/resourceGroups/{resource_group}/{collection}"
        params: dict[str, str] | None = {"api-version": api_version}
        while url:
            page = session.get(url, params=params, verify=ca_path, timeout=60).json()
            items += len(page.get("value", []))
            url, params = page.get("nextLink"), None
    print(documents, items)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
