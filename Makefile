# `make demo` and `make test` work on a fresh machine: each creates .venv when missing.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# One stamp per install, so a repeated target does not run pip again: the demo needs only the
# `demo` extra; tests, lint, docs and benchmarks get everything.
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint docs bench bench-gcp clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[demo,test]'
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

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache report.html report.json
