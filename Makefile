# Euregate: `make run` sets everything up and runs the gateway; `make test` checks it all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest install catalogs extract update-catalogs schemas fuzz audit-events bench bench-path bench-deliver bench-abuse bench-tlog bench-verify bench-storage bench-scale mutation clean

WHEELS := $(VENV)/wheels

# The partner client (clients/python) first: the gateway depends on it. $(WHEELS) holds the
# client's dependencies as wheels, so that its test installs it into a fresh virtualenv offline.
$(STAMP): pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e clients/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip wheel --quiet --wheel-dir $(WHEELS) 'setuptools>=77' ./clients/python
	touch $(STAMP)

install: $(STAMP) catalogs

catalogs: $(STAMP)
	@if ls locales/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel -q compile -d locales -D messages --statistics; fi

extract: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg -k N_ -o locales/messages.pot --no-location --sort-output --project Euregate .

update-catalogs: extract
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

run: install
	$(BIN)/euregate init --demo --data-dir $(DATA)
	@echo
	@echo "Send the demo signal from another terminal:"
	@echo "  $(BIN)/euregate send examples/nl-drug-waste-maastricht.json --as nl-pol-limburg --data-dir $(DATA)"
	@echo "and a broken one, with its errors in French:"
	@echo "  $(BIN)/euregate send examples/broken/nl-several-errors.json --as nl-pol-limburg --data-dir $(DATA) --lang fr"
	@echo "then review it at a liaison desk and pull it as be-pol-liege: README, 'Send a first signal'."
	@echo "Staff pages and the review API: https://localhost:8444 (trust $(DATA)/ca/ca.pem)."
	@echo
	$(BIN)/euregate serve --data-dir $(DATA)

lint: $(STAMP)  # ruff, and the import contracts of pyproject.toml (the layers of gateway/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint typecheck pytest

schemas: $(STAMP)
	$(BIN)/euregate schema export

FUZZ_EXAMPLES ?= 5000
fuzz: install  # the OpenAPI contract tests with FUZZ_EXAMPLES generated requests per operation
	EUREGATE_CONTRACT_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -s --timeout=0 tests/test_openapi_contract.py

audit-events: $(STAMP)  # docs/audit-events.md, from the event types in gateway/infra/audit/events.py
	$(BIN)/python -m gateway.infra.audit.reference docs/audit-events.md

bench: install  # intake, then the whole path; their headline figures one row more in bench/history.csv and bench/README.md
	$(BIN)/python bench/intake.py --rounds 3 --counts 100,500,1000
	$(BIN)/python bench/path.py
	$(BIN)/python bench/history.py append

bench-path: install  # the whole path at saturation: intake with the courier sealing, against intake alone
	$(BIN)/python bench/path.py

bench-deliver: install
	$(BIN)/python bench/deliver.py

bench-abuse: install
	$(BIN)/python bench/abuse.py

bench-tlog: install
	$(BIN)/python bench/tlog.py

bench-verify: install  # the transparency log in a data directory of a million entries
	$(BIN)/python bench/verify.py

bench-storage: install  # bytes kept per signal and per signal per recipient
	$(BIN)/python bench/storage.py

bench-scale: install  # a store of 0 to 1 M signals on SQLite and PostgreSQL: what users wait for
	$(BIN)/python bench/scale.py

mutation: install  # mutmut on the pure core, each module against its own tests: docs/mutation.md
	$(BIN)/python bench/mutation.py

.PHONY: screenshots
screenshots: install  # every staff page in nl, fr and de, into docs/screenshots/
	EUREGATE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/test_web_screenshots.py tests/test_web_screenshots_audit.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build/mutation .import_linter_cache
