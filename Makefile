# plm-sync: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TEST_PROCESSES ?= 4
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# CloudBlue's own Connect client, for the sandbox's contract test, in a venv of its own (it
# pins rich < 13, which plm-sync's tools cannot share).
CONTRACT_VENV ?= .venv-contract
CONTRACT_STAMP := $(CONTRACT_VENV)/.installed

$(CONTRACT_STAMP): tests/contract/requirements.txt
	$(PYTHON) -m venv $(CONTRACT_VENV)
	$(CONTRACT_VENV)/bin/pip install --quiet -r tests/contract/requirements.txt
	touch $(CONTRACT_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/plm-sync demo

lint: $(STAMP)
	$(BIN)/ruff check src tasks tests bench
	$(BIN)/ruff format --check src tasks tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/mkdocs build --strict --quiet

# The whole suite under coverage, subprocesses included (CLI, workers), in four processes
# (pytest-xdist, a test file's tests in one process: the broker tests of test_worker.py run one
# after another). Four on this 2-core machine, not one per core: most tests wait on loopback
# servers, PLM tasks and subprocesses, and 4 took 10:41 where 2 took 12:39 (same load, 2026-12-07);
# the report's last line is the total, and it fails under 90 % (pyproject.toml,
# [tool.coverage.report]).
test: lint $(CONTRACT_STAMP)
	rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/coverage run -m pytest -n $(TEST_PROCESSES) --dist loadfile
	$(BIN)/coverage combine -q
	$(BIN)/coverage report

clean:
	rm -rf $(VENV) $(CONTRACT_VENV) plm_sync_demo.db plm_sync_demo.db-wal plm_sync_demo.db-shm *.migrate-lock \
		plm_sync_demo_catalog.json plm_sync_demo_PPR.xlsx plm_sync_demo_offer_PPR.xlsx \
		plm_sync_demo_addons_PPR.xlsx plm_sync_demo_Price-list.xlsx \
		plm_sync_run_*.html plm_sync_run_*.xlsx test-artifacts .pytest_cache .mypy_cache .ruff_cache
