# `make demo` and `make test` work on a fresh machine: each creates .venv when missing.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# One stamp per install, so a repeated target does not run pip again: the demo needs only the
# `demo` extra; tests, lint, docs and benchmarks get everything (the distributed tests need Celery).
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint docs bench bench-gcp bench-vs-prowler bench-history bench-fleet clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[demo,test,distributed]'
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[demo]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(VENV)/bin/cspm-ai demo --output-dir .

test: $(STAMP)
	AWS_EC2_METADATA_DISABLED=true $(PY) -m pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

docs: $(STAMP)
	$(PY) -m cspm_ai.generated

bench: $(STAMP)
	AWS_EC2_METADATA_DISABLED=true $(PY) -m benchmarks.scan_latency

bench-gcp: $(STAMP)
	NO_GCE_CHECK=true $(PY) -m benchmarks.gcp_latency

# Prowler lives in a venv of its own, pinned to the version the README's table was measured with: it is
# what cspm-ai is compared with, never one of its dependencies. ARGS passes options (ARGS=--scale).
PROWLER_VENV ?= .venv-prowler
PROWLER_VERSION ?= 5.46.0
PROWLER_STAMP := $(PROWLER_VENV)/.installed-$(PROWLER_VERSION)

$(PROWLER_STAMP):
	test -x $(PROWLER_VENV)/bin/python || $(PYTHON) -m venv $(PROWLER_VENV)
	$(PROWLER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PROWLER_VENV)/bin/python -m pip install --quiet 'prowler==$(PROWLER_VERSION)'
	touch $(PROWLER_STAMP)

bench-vs-prowler: $(STAMP) $(PROWLER_STAMP)
	AWS_EC2_METADATA_DISABLED=true $(PY) -m benchmarks.vs_prowler --prowler $(PROWLER_VENV)/bin/prowler $(ARGS)

# diff of two 10,000-finding scans on SQLite and PostgreSQL, and the trend over 100 scans (about a minute).
bench-history: $(STAMP)
	$(PY) -m benchmarks.history

# One scan of 24 Google Cloud projects behind 40 ms per call: one process, then 1, 2 and 4 Celery workers
# (Redis and PostgreSQL on this machine; a few minutes).
bench-fleet: $(STAMP)
	NO_GCE_CHECK=true $(PY) -m benchmarks.fleet $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache report.html report.json
