# The two commands of the README: `make demo` and `make test`. Both set up first.
PYTHON ?= python3
UV_VERSION := 0.13.9
BIN := .venv/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup browser demo test ui bench docs clean

$(BIN)/uv:
	@echo "setting up .venv (the first time: a few minutes)"
	@$(PYTHON) -m venv .venv
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Install exactly what uv.lock pins, compiled to bytecode (every run and its dbt child would otherwise
# compile dagster and dbt from source when PYTHONDONTWRITEBYTECODE is set: ~5 s each), then build
# dbt's manifest (dagster-dbt reads it at import).
# dbt parse renders the profile, whose key and extension are only read at run time.
# Quiet (@): `make demo` shows what `sluice demo` says, one screen.
setup: $(BIN)/uv
	@$(BIN)/uv sync --frozen --quiet --compile-bytecode
	@SLUICE_HTTPFS_EXTENSION=parse-only DBT_ENV_SECRET_SLUICE_ENCRYPTION_KEY=parse-only \
	  $(BIN)/dagster-dbt project prepare-and-package --file orchestration/dbt_project.py >/dev/null

demo: setup
	@$(BIN)/sluice demo

# The browser test drives Debian's Chromium headless (no browser is downloaded): installed when missing, as root.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium is missing (installing it needs root and apt): the browser test will be skipped"

# Two workers (pytest-xdist): the suite is mostly whole runs of a day, each a process and a dbt child.
test: setup browser
	$(BIN)/python -m pytest -n 2

ui: setup
	$(BIN)/sluice ui

# Benchmarks print their figures (see bench/README.md); Presidio is installed for them only.
bench: setup
	$(BIN)/uv sync --frozen --quiet --compile-bytecode --group bench
	$(BIN)/python bench/pipeline.py --sizes 1000000,5000000
	$(BIN)/python bench/floor.py
	$(BIN)/python bench/sharded_day.py
	$(BIN)/python bench/redaction.py

# dbt's documentation of the models, one self-contained page: $(DOCS_SITE)/index.html (docs/analysts.md).
# Parsed only, in a folder of its own: --no-compile and --empty-catalog never connect to the encrypted
# private zone (no key), and dbt_project/target, which runs and dagster-dbt read, stays as it is.
DOCS_SITE ?= docs/site
docs: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	export SLUICE_HTTPFS_EXTENSION=parse-only DBT_ENV_SECRET_SLUICE_ENCRYPTION_KEY=parse-only && \
	dbt_args="--quiet --project-dir dbt_project --profiles-dir dbt_project --target-path $$tmp/target --log-path $$tmp" && \
	$(BIN)/dbt parse $$dbt_args && \
	$(BIN)/dbt docs generate --static --no-compile --empty-catalog $$dbt_args && \
	mkdir -p "$(DOCS_SITE)" && cp "$$tmp/target/static_index.html" "$(DOCS_SITE)/index.html" && \
	echo "dbt docs: $(DOCS_SITE)/index.html"

clean:
	rm -rf .sluice dbt_project/target dbt_project/logs
