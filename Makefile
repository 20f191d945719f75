# One command per developer task; CI runs `make test` (see .ci/run).
# Everything installs itself: a bootstrap venv brings uv, uv brings the locked workspace.
PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
export UV_PYTHON_PREFERENCE := only-system
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test test-fast lint format bench install clean

run: install ## Start everything on embedded defaults, with the demo feed and the dashboard
	$(VENV)/bin/vigie run

# A second pass of the database tests runs against this server when it answers (CI has PG 15).
SECOND_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

test: install lint ## The whole suite (lint, unit, integration, end-to-end, browser)
	$(VENV)/bin/pytest --durations=15
	@if $(VENV)/bin/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
	  echo "== database tests again, on the server at $(SECOND_DATABASE_URL) =="; \
	  DATABASE_URL=$(SECOND_DATABASE_URL) $(VENV)/bin/pytest -m "connected and not e2e and not browser" --ignore=tests/deploy; \
	else \
	  echo "no PostgreSQL on 127.0.0.1:5432: the second database pass is skipped"; \
	fi

# The edit loop: what needs no broker, database or child process, in about half a minute.
# Left out: tests marked `connected`, `e2e` or `browser`, and tests/deploy, which runs tools
# (uv, kubectl, promtool…) on the deployment files for a minute or more; `make test` runs all.
test-fast: install ## ruff, then the tests that need no broker, database or process
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -q -m "not connected and not e2e and not browser" --ignore=tests/deploy

lint: install ## ruff (lint + format check) and mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install ## Benchmarks: print figures next to a baseline measured in the same run
	$(VENV)/bin/python -m bench $(BENCH)

install: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml cli/pyproject.toml devtools/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --all-packages
	@touch $@

clean:
	rm -rf $(VENV) $(TOOLS) .vigie .pytest_cache .mypy_cache .ruff_cache
