# Two commands matter: `make book` and `make test`. Both start with an idempotent set-up.
SHELL := /bin/bash
PY    := .venv/bin/python
PIP   := .venv/bin/pip
STAMP := .venv/.installed

.PHONY: setup book test test-acts accuracy serve lab execute student bench clean help

help:
	@echo "make book   - set up, build the site offline, print where to open it"
	@echo "make test   - set up, run every test (acts, notebooks, browser)"
	@echo "make serve  - serve _build/html on http://localhost:8000"
	@echo "make lab    - JupyterLab with the course's kernel"
	@echo "make execute- re-execute and re-save every notebook"
	@echo "make bench  - benchmarks (acts vs torch native / scipy)"

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --disable-pip-version-check -r requirements.txt
	$(PIP) install -q --disable-pip-version-check --no-build-isolation --no-deps -e .
	touch $(STAMP)

book: setup
	$(PY) -m jupyter_book build . --quiet
	@echo
	@echo "The book is built. Open: file://$(CURDIR)/_build/html/index.html  (or run: make serve)"

test: setup
	$(PY) -m pytest tests -n 2 -q

accuracy: setup
	$(PY) -m acts.accuracy

serve:
	@test -d _build/html || { echo "No site yet: run 'make book' first."; exit 1; }
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory _build/html

clean:
	rm -rf _build
