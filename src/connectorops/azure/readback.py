"""Did a write land? The test the gateway applies when a retried conditional write is refused.

A reply lost after a successful If-Match / If-None-Match PUT is retried into 412 (the first
attempt changed the etag, or created the resource); reading the resource back tells that apart
from a change someone else made.
"""

from __future__ import annotations

from typing import Any

from connectorops import tags
from connectorops.engine.diff import diff_custom_api

# Tags that say "this is exactly our body": ownership and the hash of what we rendered.
IDENTIFYING_TAGS = (tags.MANAGED_BY, tags.FINGERPRINT)


def custom_api_as_sent(sent: dict[str, Any], live: dict[str, Any]) -> bool:
    """True when `live` carries our identifying tags and every property we sent, as we sent it.

    Properties ARM fills in that we did not send are not ours to compare; what ARM never echoes
    (the swagger, write-only secrets) is covered by the fingerprint tag, which hashes the whole body.
    """
    sent_tags, live_tags = sent.get("tags") or {}, live.get("tags") or {}
    if any(sent_tags.get(key) != live_tags.get(key) for key in IDENTIFYING_TAGS):
        return False
    sent_properties = sent.get("properties") or {}
    live_properties = live.get("properties") or {}
    comparable = {**live, "properties": {k: v for k, v in live_properties.items() if k in sent_properties}}
    return diff_custom_api(sent, comparable, observed_swagger=None) == ()
