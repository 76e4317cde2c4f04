# Two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Node tools (graphql-http audit, Hive Gateway, Apollo Gateway, autocannon), with Node from the venv.
NODE_STAMP := node/node_modules/.installed-$(shell cksum node/package-lock.json | cut -d' ' -f1)
# GraphiQL's browser files (ide/package.json), served by the gateway and the subgraphs in dev.
IDE_STAMP  := ide/node_modules/.installed-$(shell cksum ide/package-lock.json | cut -d' ' -f1)

# Scale-out: one process per subgraph, each on its own PostgreSQL database, events on NATS JetStream.
SCALEOUT := LOYALTY_DATABASE_URL='postgresql+asyncpg://postgres@127.0.0.1:5432/loyalty_{subgraph}' \
            LOYALTY_BUS_URL=nats://127.0.0.1:4222 LOYALTY_SEPARATE_PROCESSES=true

.PHONY: run test setup graphiql chromium node-tools lint run-scaleout test-fast constraints clean mutation

run: setup                      ## set up, seed on first run, start everything, print the URLs
	$(BIN)/loyalty up

test: setup chromium node-tools ## set up and run the whole suite (unit, integration, scale-out, browser)
	$(BIN)/python -m pytest

setup: $(STAMP) $(IDE_STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

graphiql: $(IDE_STAMP)          ## GraphiQL's browser files, so the IDE loads with no internet

$(IDE_STAMP): ide/package.json ide/package-lock.json | $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" npm ci --prefix ide --no-audit --no-fund --loglevel=error --ignore-scripts
	rm -f ide/node_modules/.installed-*
	touch $@

node-tools: $(NODE_STAMP)

$(NODE_STAMP): node/package.json node/package-lock.json | setup
	PATH="$(abspath $(BIN)):$$PATH" npm ci --prefix node --no-audit --no-fund --loglevel=error
	rm -f node/node_modules/.installed-*
	touch $@

chromium:                       ## Debian's Chromium for the browser tests (never `playwright install`)
	@command -v chromium >/dev/null 2>&1 || $(SUDO) apt-get install -y chromium \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

run-scaleout: setup             ## the same stack on PostgreSQL + NATS JetStream (127.0.0.1:5432, :4222)
	$(SCALEOUT) $(BIN)/loyalty up

test-fast: setup                ## unit and embedded integration tests only
	$(BIN)/python -m pytest tests/unit tests/integration

constraints: setup              ## re-pin every transitive version after a change to pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.new && mv constraints.new constraints.txt

mutation: setup                 ## mutation testing of the domain modules (mutmut; results in mutants/)
	$(BIN)/mutmut run
	$(BIN)/mutmut results

lint: setup
	$(BIN)/ruff check .

clean:                          ## forget the embedded databases and the wallet build
	rm -rf var .web
