# `make run` and `make test` set up .venv themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONFIG ?= experiments/vae_mnist.py
WORKDIR ?= workdirs/vae_mnist

.PHONY: run test venv results bench bench-loop bench-e2e clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) launch.py --config=$(CONFIG) --workdir=$(WORKDIR)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --durations=15 tests

# Every default experiment and study, resumably, then README's results table.
results: $(STAMP)
	$(PY) experiments/_results.py

bench: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PY) -m pytest -q benchmarks/test_twins.py
	$(PY) benchmarks/train_throughput.py --rounds 5 --steps 50

bench-loop: $(STAMP)
	$(PY) benchmarks/loop_overhead.py --rounds 3

bench-e2e: $(STAMP)
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PY) benchmarks/end_to_end.py --rounds 2

clean:
	rm -rf $(VENV) workdirs
