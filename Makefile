# nststudy — two commands matter: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_BASE := $(VENV)/.installed-base
STAMP_TEST := $(VENV)/.installed-test
STAMP_STUDIO := $(VENV)/.installed-studio
STAMP_LAB  := $(VENV)/.installed-lab

.PHONY: demo studio wheelhouse test unit notebooks browser lint format lab bench bench-quick clean help

help:
	@echo "make demo   - create .venv, fetch the VGG19 weights, paint out/demo.png"
	@echo "make test   - lint + unit tests + every English notebook and the solutions under nbval"
	@echo "             (+ browser, benchmark smoke; zh-CN code cells are kept identical by a test)"
	@echo "make lab    - open the course in JupyterLab"
	@echo "make studio - open the no-code painting studio (Voila) in the browser"
	@echo "make lint   - ruff check and format check"
	@echo "make wheelhouse - every wheel + VGG19 weights into wheelhouse/ for a room without internet"
	@echo "make bench  - the full benchmark (several hours on a 2-core CPU); bench-quick for a smoke run"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_BASE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,lab]"
	touch $@ $(STAMP_BASE) $(STAMP_LAB)

# learners' `make lab`: the course and JupyterLab, without the test tools
$(STAMP_LAB): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@ $(STAMP_BASE)

demo: $(STAMP_BASE)
	$(BIN)/nststudy weights install
	$(BIN)/nststudy demo --size 256 --out out/demo.png

$(STAMP_STUDIO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[studio]"
	touch $@ $(STAMP_BASE)

studio: $(STAMP_STUDIO)
	$(BIN)/nststudy weights install
	$(BIN)/nststudy studio

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP_TEST)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP_TEST)
	$(BIN)/python -m pytest tests -m "not browser" --durations=15

browser: $(STAMP_TEST)
	$(BIN)/python -m pytest tests/browser -m browser -p no:cacheprovider

notebooks: $(STAMP_TEST)
	NSTSTUDY_FAST=1 $(BIN)/python -m pytest --nbval-lax notebooks --ignore=notebooks/zh-CN -p no:cacheprovider

test: lint unit bench-quick notebooks browser

lab: $(STAMP_LAB)
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root,) \
	  --ServerApp.tornado_settings='{"websocket_max_message_size": 209715200}'

wheelhouse: $(STAMP_TEST)
	$(BIN)/nststudy weights install
	PYTHON=$(BIN)/python tools/wheelhouse.sh

bench: $(STAMP_TEST)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP_TEST)
	$(BIN)/python -m benchmarks.run --quick
	# the GPU port (benchmarks/gpu.py) on the CPU: it refuses to time if it disagrees with nststudy
	rm -rf /tmp/nststudy-gpu-smoke
	$(BIN)/python -m benchmarks.gpu prepare /tmp/nststudy-gpu-smoke --sizes 64
	$(BIN)/python -m benchmarks.gpu run /tmp/nststudy-gpu-smoke --sizes 64 --steps 5 \
	  --recipes tutorial lbfgs nststudy-gpu --out /tmp/nststudy-gpu-smoke/out
	$(BIN)/python -m benchmarks.lbfgs_step --shape 48 64 --repeats 1 --out /tmp/nststudy-lbfgs-step.json
	$(BIN)/python -m benchmarks.lowrank_vgg --size 48 --max-evaluations 3 --ref-loss 0 \
	  --repeats 1 --out /tmp/nststudy-lowrank.json
	$(BIN)/python -m benchmarks.lbfgs_diagonal --size 48 --max-evaluations 4 \
	  --out /tmp/nststudy-diagonal.json
	$(BIN)/python -m benchmarks.coarse_start --size 64 --coarse-size 32 --coarse-evaluations 3 \
	  --max-evaluations 3 --out /tmp/nststudy-coarse/coarse.json

clean:
	rm -rf build dist out .pytest_cache .ruff_cache *.egg-info
