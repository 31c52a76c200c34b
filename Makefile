# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export APP_ENV ?= dev

.PHONY: run test install install-test migrate lint typecheck demo clean emulator bench css

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	mkdir -p instance
	$(BIN)/alembic -c migrations/alembic.ini upgrade head

# Web (gunicorn) and worker (Huey consumer) together on the embedded defaults; Ctrl-C stops both.
# Ctrl-C reaches gunicorn from the terminal; the shell then stops the worker (SIGTERM: it hands
# its lane back) and waits for it. No `kill 0`: it signals the shell itself, whose trap re-enters.
run: migrate
	@echo "Serving on http://localhost:$(PORT) (health: /healthz)"
	@PORT=$(PORT) $(BIN)/python -m b24app.worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn --bind 0.0.0.0:$(PORT) --workers 1 --threads 8 --worker-class gthread b24app.wsgi:app

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check b24app bootstrap handlers registry install

typecheck: install-test
	$(BIN)/mypy

test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q

emulator: install-test
	$(BIN)/python -m tests.emulator --port 8765

demo: install-test
	$(BIN)/python -m bench.demo

# Benchmarks against the emulator's default limiter; BENCH_DATABASE_URL picks PostgreSQL.
# Progress and errors go to stderr, the table to stdout (`python -m bench --help` for options).
bench: install-test
	$(BIN)/python -m bench

# The stylesheet from the Bitrix24 UI kit's tokens (tools/css; needs node and npm). Commit the output:
# the app serves handlers/static/app.css itself, so neither CI nor production needs node.
css:
	cd tools/css && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
