"""pgcoord's development tooling: the suite runner behind `make test` (testing), the
isolation tester runner (isolation), the clusters only tests use (cluster) and the
demo behind `make demo` (demo).

Not part of the installed ``pgcoord`` package (the wheel holds ``pgcoord`` alone):
run it from the repository root, e.g. ``python -m devtools.testing run-all`` or
``python -m devtools.demo``, as the Makefile does.
"""
