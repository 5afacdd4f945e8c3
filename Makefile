# Two commands for a new machine: `make run` (set up, build the index, start the chat) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
export HF_HUB_OFFLINE := 1
# A portable AVX2 build: the native build enables AMX kernels, which crash (SIGSEGV) on these VMs.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: setup run ingest test bench clean-venv

setup: $(STAMP)

# pip keeps its wheel cache (~/.cache/pip): llama-cpp-python compiles once per machine (~10 min on 2 cores).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --progress-bar off -e '.[test,bench]'
	rm -f $(VENV)/.installed-* && touch $@

ingest: setup
	$(BIN)/releasebot ingest

run: ingest
	$(BIN)/releasebot serve

test: setup
	$(BIN)/python -m pytest -ra $(PYTEST_ARGS)

# Hours on 2 cores: the 100k-chunk corpus is built once into results/bench/corpora/ and reused.
bench: setup
	$(BIN)/python bench/ingest.py --profile
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/compare.py eval/questions.jsonl --out results/compare --every 3

clean-venv:
	rm -rf $(VENV)
