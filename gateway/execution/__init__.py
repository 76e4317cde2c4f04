"""Execution: run a query plan's fetches, merge subgraph JSON into one tree,
shape the client's response from it."""
