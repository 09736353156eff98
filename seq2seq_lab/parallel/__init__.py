"""Worker processes that let ``compare`` use every CPU core (``pool``: the parent's side,
``worker``: the worker's side)."""
