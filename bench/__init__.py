"""seedsearch's benchmarks: run each from the repository root as a module
(`.venv/bin/python -m bench.perf`), so it imports its siblings as `bench.*` and
the tests' helpers as `tests.*` without touching sys.path."""
