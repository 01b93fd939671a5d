# pgcoord — the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
PGCOORD := .venv/bin/pgcoord

.PHONY: setup demo test pgtap isolation pytest formal bench clean db-start db-stop

setup:
	@bash scripts/bootstrap.sh

# The main job: embedded PostgreSQL, deploy, then a fleet of four agent processes (devtools/demo/).
demo: setup
	@$(PGCOORD) db start
	@$(PGCOORD) deploy
	@$(PY) -m devtools.demo

# Every suite: pgTAP, the isolation specs, the formal model check, then pytest.
test: setup
	@$(PY) -m devtools.testing run-all

pgtap: setup
	@$(PY) -m devtools.testing pgtap

# PostgreSQL's isolation tester over isolation/specs (forced interleavings of races).
isolation: setup
	@$(PY) -m devtools.testing isolation

pytest: setup
	@$(PY) -m devtools.testing pytest

formal: setup
	@bash formal/check.sh

bench: setup
	@$(PGCOORD) db start
	@$(PGCOORD) deploy
	@$(PY) -m bench
	@$(PY) -m bench.instructions
	@$(PY) -m bench.budget
	@$(PY) -m bench.hooks
	@$(PY) -m bench.mcp
	@$(PY) -m bench.memory
	@$(PY) -m bench.guardrails
	@$(PY) -m bench.audit
	@$(PY) -m bench.latency
	@$(PY) -m bench.scale
	@$(PY) -m bench.peers
	@$(PY) -m bench.chart
	-@$(PGCOORD) report safety   # the seeds' metrics on the deployed database (prints; a miss does not stop make)

db-start: setup
	@$(PGCOORD) db start

db-stop:
	@$(PGCOORD) db stop

clean:
	-@[ -x $(PGCOORD) ] && $(PGCOORD) db stop 2>/dev/null; true
	-@[ -x $(PY) ] && $(PY) -c 'from devtools.cluster import test_cluster; test_cluster().stop()' 2>/dev/null; true
	rm -rf .pgcoord .venv .pytest_cache .hypothesis python_client/*.egg-info
