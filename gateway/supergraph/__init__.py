"""The supergraph: composed from subgraph SDLs (`compose`) or loaded from a
supergraph SDL file (`Supergraph.from_sdl`), and the schemas derived from it."""
