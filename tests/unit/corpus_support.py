"""Every document of the shared corpus as a connector of one repository, for corpus-wide verdict tests.

Paconn folders, OpenAPI files (swagger2/ and the ARM specifications) and Postman collections.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

CORPUS = Path("/work/shared/corpus")


def _connector(root: Path, name: str, definition: dict[str, str]) -> Path:
    folder = root / "connectors" / name
    folder.mkdir(parents=True)
    document = {"apiVersion": "connectorops/v1", "kind": "Connector", "metadata": {"name": name},
                "spec": {"definition": definition, "backend": {"serviceUrl": "https://api.contoso.com/"}}}  # fmt: skip
    (folder / "connector.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def corpus_repo(root: Path) -> int:
    """Write the repository under `root`; the number of connectors."""
    (root / "connectors").mkdir(parents=True)
    (root / "connectorops.yaml").write_text("default: local\nenvironments:\n  local: {target: local}\n")
    count = 0
    for source in sorted(p.parent for p in CORPUS.glob("powerplatformconnectors/*/*/apiDefinition.swagger.json")):
        count += 1
        shutil.copytree(source, _connector(root, f"ppc{count:03d}", {"paconn": "paconn/"}) / "paconn")
    documents = [*sorted(CORPUS.glob("swagger2/*.*")), *sorted(CORPUS.glob("azure-rest-api-specs/*/*.json"))]
    for source in documents:
        if source.suffix not in (".json", ".yaml", ".yml"):
            continue
        count += 1
        shutil.copytree(source.parent, _connector(root, f"oas{count:03d}", {"openapi": "doc/" + source.name}) / "doc")
    for source in sorted(CORPUS.glob("postman/*.json")):
        count += 1
        shutil.copy(source, _connector(root, f"pm{count:03d}", {"postman": "collection.json"}) / "collection.json")
    return count
