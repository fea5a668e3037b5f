# Two commands for a newcomer: `make demo` and `make test`. Both create the virtual
# environment on first use; nothing else needs installing by hand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint deploy clean

$(STAMP): pyproject.toml
	@$(PYTHON) tools/check_python.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# MicroPython ESP32 type stubs, kept out of site-packages so they never shadow CPython's
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target $(VENV)/mpy-stubs \
		micropython-esp32-stubs==1.29.0.post1 micropython-stdlib-stubs==1.29.0.post2
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/stridepod demo

test: $(STAMP)
	bash tools/ensure-system-packages.sh
	$(BIN)/python -m stridepod.devtools.interpreters
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

deploy: $(STAMP)
	$(BIN)/stridepod dev deploy $(if $(BOARD),--board $(BOARD))

clean:
	rm -rf $(VENV) build *.egg-info
