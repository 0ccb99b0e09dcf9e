# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT
CHROMIUM := /usr/bin/chromium
# Debian's libraries WeasyPrint loads to make the plan's PDF (text layout with Pango, fonts).
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

.PHONY: run dev catalogues translations test test-postgres lint chromium pdf-libs nginx load-tools bench load load-proxy static-compressed clean

# Debian/Ubuntu ship venv without ensurepip unless python3-venv is installed.
$(BIN)/python:
	@if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installerer python3-venv med apt ..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
		else \
			echo "Mangler python3-venv: kjør 'sudo apt-get install python3-venv' og prøv igjen."; exit 1; \
		fi; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Migrate, import the plan when the database is empty, then serve with gunicorn.
# The secret key is generated into instance/secret_key on the first start unless SECRET_KEY is set.
run: $(VENV)/.installed catalogues
	@$(MAKE) --no-print-directory pdf-libs || echo "Appen starter, men PDF-nedlastingen virker ikke før bibliotekene over er installert."
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi content import --if-empty
	@echo "Rusplan kjører på http://127.0.0.1:$(PORT)"
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Flask's reloader, for development only.
dev: $(VENV)/.installed catalogues
	@$(MAKE) --no-print-directory pdf-libs || echo "Appen starter, men PDF-nedlastingen virker ikke før bibliotekene over er installert."
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi content import --if-empty
	$(BIN)/flask --app wsgi run --debug --port $(PORT)

# The UI's languages (backend/translations/{nb,nn,en}): msgids are bokmål. After changing UI text run
# `make translations` (extract into messages.pot, update the three catalogues), translate the new
# entries in nn and en, and commit the .po files. The .mo files are compiled here, never committed.
catalogues: $(VENV)/.installed
	@$(BIN)/python -c 'from backend.i18n import compile_catalogues; [print("Kompilerte", p) for p in compile_catalogues()]'

translations: $(VENV)/.installed
	$(BIN)/pybabel --quiet extract -F babel.cfg -k lazy_gettext -k _l --no-location --no-wrap --sort-output --omit-header \
		-o backend/translations/messages.pot .
	@for lang in nb nn en; do \
		if [ -f backend/translations/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel --quiet update --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --no-wrap \
				-i backend/translations/messages.pot -d backend/translations -l $$lang; \
		else \
			$(BIN)/pybabel --quiet init --no-wrap -i backend/translations/messages.pot -d backend/translations -l $$lang; \
		fi; \
	done

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installerer chromium med apt ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		[ -x $(CHROMIUM) ] || { echo "apt installerte ikke $(CHROMIUM)."; exit 1; }; \
	else \
		echo "Nettlesertestene trenger Debians chromium ($(CHROMIUM)):"; \
		echo "  sudo apt-get install chromium fonts-dejavu-core"; \
		echo "og kjør 'make test' igjen. Testene hoppes aldri over i det stille."; exit 1; \
	fi

# Debian's Pango for WeasyPrint (the plan as PDF), installed with apt as root, like chromium.
pdf-libs:
	@if dpkg-query -W -f='$${Status}\n' $(PDF_LIBS) 2>/dev/null | grep -vq 'ok installed' \
		|| [ "$$(dpkg-query -W -f='$${Status}\n' $(PDF_LIBS) 2>/dev/null | wc -l)" -ne $(words $(PDF_LIBS)) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installerer Pango for PDF-utskrift med apt ..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS) >/dev/null; \
		else \
			echo "PDF-utskriften (WeasyPrint) trenger Debians Pango:"; \
			echo "  sudo apt-get install $(PDF_LIBS)"; exit 1; \
		fi; \
	fi

# Debian's nginx with brotli_static, for the test that checks deploy/nginx.conf with `nginx -t` and
# for the load test (installed when missing, as root; otherwise the line to run is printed).
nginx:
	@if command -v nginx >/dev/null && [ -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installerer nginx med apt ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx libnginx-mod-http-brotli-static >/dev/null; \
		command -v nginx >/dev/null || { echo "apt installerte ikke nginx."; exit 1; }; \
	else \
		echo "Testen av deploy/nginx.conf og lasttesten trenger nginx:"; \
		echo "  sudo apt-get install nginx libnginx-mod-http-brotli-static"; exit 1; \
	fi

# wrk drives the load test; nginx is measured beside the app.
load-tools: nginx
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installerer wrk med apt ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
		echo "Lasttesten trenger wrk: sudo apt-get install wrk"; exit 1; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# ruff, then the whole suite with the browser tests on SQLite; pytest prints the counts at the end.
# With TEST_DATABASE_URL set (a PostgreSQL role that may create databases) the suite runs a second
# time on PostgreSQL; .ci/run starts a throwaway server for that (tools/with-postgres.sh).
# With TEST_DATABASE_URL set, the SQLite and PostgreSQL passes run side by side (tools/test-both.sh).
test: $(VENV)/.installed-dev catalogues chromium pdf-libs nginx lint
	@if [ -n "$$TEST_DATABASE_URL" ]; then tools/test-both.sh; else $(BIN)/pytest; fi

# The suite on PostgreSQL; the tests about SQLite itself (marker sqlite_only) are deselected.
# The input fuzzing runs 100 examples per form here (200 in the SQLite pass) to keep CI short.
test-postgres: $(VENV)/.installed-dev chromium pdf-libs nginx
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
		echo "Sett TEST_DATABASE_URL, eller kjør: tools/with-postgres.sh make test-postgres"; exit 1; fi
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(BIN)/pytest -m "not sqlite_only" $(PYTEST_ARGS)

# Page weight and speed of the home page on a throttled phone profile (see benchmarks/README.md).
bench: $(VENV)/.installed-dev chromium
	$(BIN)/python benchmarks/pageweight.py

# A whole school at once: 1,200 connections for 30 s with wrk against gunicorn alone, through nginx
# (deploy/nginx.conf) and against nginx serving the same pages as files (see benchmarks/README.md).
load: $(VENV)/.installed load-tools
	benchmarks/load.sh

# The same, through nginx only (and the static yardstick beside it).
load-proxy: $(VENV)/.installed load-tools
	benchmarks/load.sh proxy static

# br and gzip copies of the static files, for nginx's brotli_static/gzip_static (deploy/nginx.conf);
# run after each deploy. The app ignores them.
static-compressed: $(VENV)/.installed
	$(BIN)/python -c 'from pathlib import Path; from backend.services.assets import write_precompressed; print(len(write_precompressed(Path("frontend/static"))), "filer")'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
