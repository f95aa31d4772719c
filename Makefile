# `make run`: the app on SQLite with demo data at http://127.0.0.1:5000.  `make test`: the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
export FLASK_APP := wsgi.py

.PHONY: run scheduler test translations lint messages bench-vote bench-allocate clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Catalogues are compiled here, never committed as binaries.
translations: $(STAMP)
	$(BIN)/pybabel -q compile --use-fuzzy -d app/translations

run: translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# The scheduler is its own process: run it beside `make run` in a second terminal.
scheduler: translations
	$(BIN)/flask scheduler run

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations config.py wsgi.py

# Refresh the catalogues after changing user-facing strings.
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel -q update -i app/translations/messages.pot -d app/translations

bench-vote: $(STAMP)
	$(BIN)/python bench/vote.py

bench-allocate: $(STAMP)
	$(BIN)/python bench/allocate.py

clean:
	rm -rf $(VENV) .pytest_cache
