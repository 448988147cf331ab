# Every target bootstraps .venv from uv.lock itself; a second run is a fast no-op.
PYTHON ?= python3.11
VENV := .venv
TOOLS := .tools
UV_VERSION := 0.13.8
UV := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test test-fast eval eval-holdout eval-probe eval-region train bench lint typecheck clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: installed packages are compiled once here, so no process (a CLI command, a
# flow run, a test's child process) compiles them again on import. That matters where
# PYTHONDONTWRITEBYTECODE is set, as in containers and CI: Python then never caches what it compiles.
# The project's own packages (installed editable, so uv leaves them alone) are compiled here for the same
# reason: 40 ms of every `yuqing tag` start. A source edited later is compiled again as it is imported.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock Makefile
	$(UV) sync --frozen --extra dev --extra bench --extra train --python $(PYTHON) --quiet --compile-bytecode
	$(VENV)/bin/python -m compileall -q yuqing classifiers sources warehouse flows
	touch $@

demo: $(VENV)/.synced
	$(VENV)/bin/yuqing --db demo.duckdb demo

# The suite runs in TEST_WORKERS processes (pytest-xdist; 0 runs it in this one), a test module in one process
# (--dist loadfile: a module's fixtures, such as its Prefect server or replayed warehouse, are built once). Most
# long tests wait on servers, child processes and deadlines rather than on the CPU: on two cores, two processes
# take about 6 minutes where one took 11.
TEST_WORKERS ?= 2

test: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

# The fast loop: lint and the unit tests and pure deciders (tests marked slow left out; tests/conftest.py).
test-fast: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -m "not slow" -q -n $(TEST_WORKERS)

eval: $(VENV)/.synced
	$(VENV)/bin/python -m classifiers.evaluate ../shared/eval/topics-dev.jsonl

# The held-out check sets: pool items no training round drew, labelled by the guide, never trained on
# (training/holdout/README.md): the development set's mix of sources, then three sets of message-board items, then Weibo
# posts, then news items from the development set's media sources; then the six pooled.
eval-holdout: $(VENV)/.synced
	$(VENV)/bin/python training/holdout/build.py
	$(VENV)/bin/python -m classifiers.evaluate training/holdout/holdout.jsonl
	$(VENV)/bin/python -m classifiers.evaluate training/holdout/boards.jsonl
	$(VENV)/bin/python -m classifiers.evaluate training/holdout/boards2.jsonl
	$(VENV)/bin/python -m classifiers.evaluate training/holdout/boards3.jsonl
	$(VENV)/bin/python -m classifiers.evaluate training/holdout/weibo.jsonl
	$(VENV)/bin/python -m classifiers.evaluate training/holdout/media.jsonl
	@echo "the six sets pooled:"
	$(VENV)/bin/python -m classifiers.evaluate --errors 0 training/holdout/holdout.jsonl training/holdout/boards.jsonl \
		training/holdout/boards2.jsonl training/holdout/boards3.jsonl training/holdout/weibo.jsonl \
		training/holdout/media.jsonl

# Headlines and messages written from the guide in everyday words (training/probe/README.md): A and B were read
# while the rules changed, C and E scored and then read for a later round, D and G scored, never read, F read, not tuned on;
# H and I written later the same way (training/probe/README.md says which have been read since).
eval-probe: $(VENV)/.synced
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_a.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_b.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_c.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_d.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_e.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_f.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_g.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_h.jsonl --errors 0
	$(VENV)/bin/python -m classifiers.evaluate training/probe/headlines_i.jsonl --errors 0

# The region check set: items that open events, and board messages, labelled with the place they are about
# (training/region/README.md), against the classifier's region.
eval-region: $(VENV)/.synced
	$(VENV)/bin/python training/region/measure.py --errors 30

# Rebuilds classifiers/data/model.npz and training/report.json from training/labels (reads the pool in ../shared).
train: $(VENV)/.synced
	$(VENV)/bin/python -m training.train

bench: $(VENV)/.synced
	$(VENV)/bin/python -m bench

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
