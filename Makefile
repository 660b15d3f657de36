# Two commands matter: `make book` and `make test`. Both start with an idempotent set-up.
SHELL := /bin/bash
PY    := .venv/bin/python
PIP   := .venv/bin/pip
STAMP := .venv/.installed
PORT  ?= 8000
# Notebook folders checked by nbval and refreshed by `make execute` (if they exist).
NB_DIRS   := $(wildcard chapters exercises)
NBVAL     := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
             --nbval-cell-timeout 600
# Fresh build (--all), warnings are errors (-W), broken references too (-n).
JB_BUILD  := .venv/bin/jupyter-book build . --all -W -n --keep-going --quiet
JUPYTERLAB := jupyterlab==4.6.6

.PHONY: grade-bench setup vendor browser sandbox book site test test-acts tune accuracy serve lab execute student grade bench clean help

help:
	@echo "make book   - set up, build the site offline, print where to open it"
	@echo "make test   - set up, run every test (acts, notebooks, browser)"
	@echo "make serve  - serve _build/html on http://localhost:$(PORT)"
	@echo "make lab    - JupyterLab with the course's kernel (live widgets)"
	@echo "make execute- re-execute and re-save every notebook (NB=path for one)"
	@echo "make bench  - benchmarks (acts vs torch native / scipy)"
	@echo "make tune   - choose the labs' learning rates on validation data (course/lab_tuning.json)"
	@echo "make student - student notebooks + autograder zips under _build/exercises/"
	@echo "make grade SUBMISSIONS=dir - grade every notebook in dir -> dir/grades.csv"
	@echo "make grade-bench - time the grading of a generated class of 200"

# Set-up: the venv, the vendored browser libraries (MathJax, RequireJS, widgets), Debian's
# chromium for the browser test and bubblewrap for the grader's sandbox. Each step skips when
# already done.
setup: $(STAMP) vendor browser sandbox

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --disable-pip-version-check -r requirements.txt
	$(PIP) install -q --disable-pip-version-check --no-build-isolation --no-deps -e .
	touch $(STAMP)

vendor:
	@scripts/vendor.sh

browser:
	@scripts/apt_install.sh /usr/bin/chromium chromium chromium-driver

sandbox:
	@scripts/apt_install.sh bwrap bubblewrap

# The site: notebooks are rendered with their committed outputs (no kernel runs).
site: $(STAMP) vendor
	$(JB_BUILD)

book: site
	@echo
	@echo "The book is built. Open: file://$(CURDIR)/_build/html/index.html  (or run: make serve)"

# Package tests + nbval on every notebook + the site build + the browser test, in one
# pytest run on two workers (one notebook or test file per worker at a time), then the
# checks of the labs' verdicts on the numbers that run wrote (tests/test_lab_results.py).
# nbval runs under TEST_KERNELS, a CPU kernel configuration other than the machine's own
# one that `make execute` records in each notebook: an output that depends on which kernels
# ran fails here instead of on a reader's machine.
TEST_KERNELS := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE
LAB_RESULTS  := _build/lab-results
# Timings of the hardware chapter's roofline, read as the page reads them: with this machine's
# own kernels and an idle second core, so after the parallel run.
ROOFLINE     := tests/test_machine_specific.py::test_hardware_roofline_reading_holds_on_this_machine
# torch.compile's cache lives in the checkout, so that a test run does not reuse what other
# runs left in inductor's shared /tmp cache: once, a precompiled header found there broke every
# compile of a test run ("at::vec has not been declared"; not reproduced with a fresh cache).
test: setup
	$(JB_BUILD)
	rm -rf $(LAB_RESULTS)
	$(TEST_KERNELS) TORCHINDUCTOR_CACHE_DIR=$(CURDIR)/_build/torchinductor-test-kernels \
	  ACTS_LAB_RESULTS=$(CURDIR)/$(LAB_RESULTS) ACTS_REQUIRE_SITE=1 ACTS_REQUIRE_SANDBOX=1 \
	  $(PY) -m pytest tests $(NB_DIRS) $(NBVAL) -n 2 --dist loadfile -q --ignore=tests/test_lab_results.py \
	  --deselect $(ROOFLINE)
	ACTS_LAB_RESULTS=$(CURDIR)/$(LAB_RESULTS) ACTS_REQUIRE_LAB_RESULTS=1 $(PY) -m pytest tests/test_lab_results.py $(ROOFLINE) -q

# The labs' learning rates: a search per condition on a validation split of the training
# images (course.labs.tune), written to course/lab_tuning.json (commit it; the labs read it).
# `make tune LABS="he-init mish-depth"` for some.
tune: $(STAMP)
	$(PY) -m course.labs tune $(LABS)

accuracy: setup
	$(PY) -m course.accuracy

# Benchmarks (acts vs torch native and scipy; CPU, or CUDA when present); writes
# bench/results-<device>.json, which the chapter "Activations and the hardware" reads.
bench: $(STAMP)
	$(PY) -m course.bench $(BENCH_ARGS)

serve:
	@test -d _build/html || { echo "No site yet: run 'make book' first."; exit 1; }
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# JupyterLab is not needed for the book or the tests, so it is installed on first use
# (pinned, and constrained to the versions in requirements.txt).
lab: $(STAMP)
	@$(PY) -c "import jupyterlab" 2>/dev/null || \
	  $(PIP) install -q --disable-pip-version-check -c requirements.txt $(JUPYTERLAB)
	$(PY) -m jupyterlab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR)

# Re-run every notebook top to bottom and save it with its outputs (seeded, so the
# outputs are reproducible); `make execute NB=chapters/sigmoid.ipynb` for one.
execute: $(STAMP)
	$(PY) scripts/execute_notebooks.py $(if $(NB),$(NB),$(NB_DIRS))

# Course assignments (otter-grader). `make student`: the student notebooks (no solutions,
# no hidden tests) and one autograder zip per assignment, under _build/exercises/, and
# the book's copies in exercises/student/. `make grade SUBMISSIONS=<folder>`: grades every
# notebook in the folder -> <folder>/grades.csv + <folder>/feedback/ (ASSIGNMENT=<name>
# if the folder holds one assignment; JOBS=, TIMEOUT= seconds per submission). grade
# first rebuilds the autograders if an assignment changed since the last build.
ASSIGNMENT_SOURCES := $(wildcard exercises/[0-9][0-9]_*.ipynb)
STUDENT_STAMP := _build/exercises/.built

student: $(STAMP)
	$(PY) -m grading student
	@touch $(STUDENT_STAMP)

$(STUDENT_STAMP): $(ASSIGNMENT_SOURCES) $(wildcard grading/*.py) | $(STAMP)
	$(PY) -m grading student
	@touch $@

# `make grade-bench`: a generated class of 200 submissions of one assignment, graded as `make
# grade` does; prints the time per submission (BENCH_ARGS="--all -n 20" for every assignment).
grade-bench: $(STAMP) $(STUDENT_STAMP) sandbox
	$(PY) -m grading bench $(BENCH_ARGS)

grade: $(STAMP) $(STUDENT_STAMP) sandbox
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder> [ASSIGNMENT=<name>] [JOBS=n] [TIMEOUT=s]"; exit 2; }
	$(PY) -m grading grade "$(SUBMISSIONS)"$(if $(ASSIGNMENT), --assignment $(ASSIGNMENT))$(if $(JOBS), --jobs $(JOBS))$(if $(TIMEOUT), --timeout $(TIMEOUT))

clean:
	rm -rf _build
