# Two entry points (README Quick start): `make demo` and `make test`.
# Both install everything they need on a fresh Debian/Ubuntu machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DB ?= demo/rollout-demo.sqlite
HOST   ?= 127.0.0.1
PORT   ?= 5000

# Debian packages: SpatiaLite (embedded default), PostGIS (server backend, tests),
# Chromium (real-browser tests), poppler-utils (PDF text/PNG checks), DejaVu fonts (PDF accents).
SYSTEM_PACKAGES := libsqlite3-mod-spatialite postgresql-15-postgis-3 chromium poppler-utils fonts-dejavu-core wrk

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install system lint clean serve

demo: system install
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/rollout --database sqlite:///$(DEMO_DB) demo --serve --host $(HOST) --port $(PORT)

test: system install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Installs only the Debian packages that are missing (apt-get is skipped when all are there).
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

serve: install
	$(BIN)/rollout --database sqlite:///$(DEMO_DB) serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) demo artifacts .pytest_cache *.egg-info
