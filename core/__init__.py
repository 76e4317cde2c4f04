"""The platform's shared vocabulary: what the gateway, the subgraphs and the
wallet all use. It imports nothing of the project (issue 8 moves settings,
tokens, error codes, ids and the clock here; new shared modules start here)."""
