"""Did a write land? The test the gateway applies when a retried conditional write is refused.

A reply lost after a successful If-Match / If-None-Match PUT is retried into 412 (the first
attempt changed the etag, or created the resource); reading the resource back tells that apart
from a change someone else made.
"""

from __future__ import annotations

from typing import Any

from connectorops.engine.diff import diff_custom_api


def custom_api_as_sent(sent: dict[str, Any], live: dict[str, Any]) -> bool:
    """True when `live` carries every tag and every property we sent, as we sent them.

    Every tag counts, not only ours: the controller's lease marker says who holds it in a tag, and
    our fingerprint tag hashes the whole rendered body, covering what ARM never echoes (the swagger,
    write-only secrets). Properties ARM fills in that we did not send are not ours to compare.
    """
    sent_tags, live_tags = sent.get("tags") or {}, live.get("tags") or {}
    if any(live_tags.get(key) != value for key, value in sent_tags.items()):
        return False
    sent_properties = sent.get("properties") or {}
    live_properties = live.get("properties") or {}
    comparable = {**live, "properties": {k: v for k, v in live_properties.items() if k in sent_properties}}
    return diff_custom_api(sent, comparable, observed_swagger=None) == ()
