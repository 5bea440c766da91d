"""Schemathesis hooks for .ci/fuzz: generated bodies are sent as real JSON
clients write them (I-JSON, RFC 7493), so failures point at the server."""

import schemathesis

# Integers past 64 bits are no interoperable JSON (RFC 7493 draws the line at
# 53); serde_json reads them as doubles and refuses those near the limit.
LARGEST = 2**64 - 1


def _as_clients_send(value):
    # JSON Schema counts 572.0 as an integer, serde does not (it answers a
    # clear 400 naming the field); encoders write whole numbers as 572.
    if isinstance(value, float) and value.is_integer() and abs(value) <= LARGEST:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST:
        return LARGEST if value > 0 else -LARGEST
    if isinstance(value, dict):
        return {k: _as_clients_send(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_clients_send(v) for v in value]
    return value


@schemathesis.hook
def map_body(context, body):
    return _as_clients_send(body)
