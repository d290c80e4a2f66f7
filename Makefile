# dq-engine: `make run` and `make test` work on a fresh machine with Python 3.11, Java 17 and Maven.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEPS_STAMP := $(VENV)/.stamp-deps
JARS_STAMP := jars/.stamp
CODEC_SRC  := $(shell find conf/jars/codecs/src -name '*.java')
UDF_SRC    := $(shell find conf/jars/udfs/src -name '*.java')
UDF_JAR    := jars/dq-engine-udfs-0.1.0.jar
CDS_ARCHIVE := jars/driver-classes.jsa
PYTEST_ARGS ?=
# Two pytest workers (pytest-xdist), whole files per worker so module fixtures are built once; the
# subprocess-heavy files are ordered first (tests/conftest.py). PYTEST_XDIST= runs in one process.
PYTEST_XDIST ?= -n 2 --dist loadfile --no-loadscope-reorder

.DEFAULT_GOAL := help
.PHONY: help setup venv jars cds run rerun test test-fast lint package clean clean-lakehouse jar-size bench-dedup bench-filters bench-audit bench-pii bench-pipeline

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

setup: venv jars cds ## virtualenv with the pinned stack + JVM jars from Maven Central + the driver's class archive

venv: $(DEPS_STAMP)

$(DEPS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

jars: $(JARS_STAMP) $(UDF_JAR) ## Delta, Deequ, Spark NLP (+ closure), the zstd codec and our UDFs into ./jars

$(JARS_STAMP): conf/jars/pom.xml conf/jars/codecs/pom.xml $(CODEC_SRC)
	rm -rf jars && mkdir -p jars
	mvn -q -B -f conf/jars/pom.xml dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/jars
	mvn -q -B -f conf/jars/codecs/pom.xml package -Dcodecs.jar.dir=$(CURDIR)/jars
	rm -rf conf/jars/codecs/target
	@touch $@

# Our Spark UDFs (conf/jars/udfs) compile against the Spark jars of the pinned pyspark wheel, the same
# classes they run with, so nothing beyond PyPI is needed. Bytecode targets Java 8; the fixed entry
# date makes the same source give the same jar.
$(UDF_JAR): $(JARS_STAMP) $(DEPS_STAMP) $(UDF_SRC)
	rm -rf build/udfs && mkdir -p build/udfs
	javac --release 8 -Xlint:all,-path -Werror -encoding UTF-8 -d build/udfs \
	  -cp "$$($(BIN)/python -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')/*" \
	  $(UDF_SRC)
	jar --create --date=2025-01-01T00:00:02Z --file $@ -C build/udfs .
	rm -rf build/udfs

# The local driver JVM's class-data-sharing archive (dq_engine/spark/cds.py): trained by running the
# pipeline on the sample in a scratch lakehouse; every embedded session maps it (seconds off start-up).
cds: $(CDS_ARCHIVE) ## class-data-sharing archive for the local driver JVM (DQ_ENGINE_CDS=0 disables it)

$(CDS_ARCHIVE): $(JARS_STAMP) $(UDF_JAR) $(DEPS_STAMP)
	$(BIN)/python -c 'import sys; from dq_engine.spark.cds import main; sys.exit(main(sys.argv[1:]))' --out $@

jar-size: jars ## size of the JVM closure shipped with spark.jars
	@du -ch jars/*.jar | tail -1

run: setup ## full pipeline on the bundled sample: ingest -> curate -> audit -> publish (rerun = no-op)
	$(BIN)/dq-engine run

test: setup ## the full suite, as CI runs it (real local Spark, Delta, Deequ, Spark NLP, MLflow)
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

test-fast: setup ## everything but the tests marked slow
	$(BIN)/python -m pytest $(PYTEST_XDIST) -m "not slow" $(PYTEST_ARGS)

lint: venv ## ruff + mypy
	$(BIN)/ruff check dq_engine tests jobs bench examples
	$(BIN)/mypy

package: setup ## wheel, --py-files zip, conf zip and jar list into dist/ (README "Run it on your platform")
	$(BIN)/python -m dq_engine.packaging dist

N ?= 100000
BENCH_DEDUP_ARGS ?=
bench-dedup: setup ## near_dedup (jvm and sql engines) vs Spark MLlib MinHashLSH: time, memory, accuracy (N=100000; BENCH_DEDUP_ARGS="--no-truth --engines jvm")
	$(BIN)/python -m bench.bench_dedup --n $(N) $(BENCH_DEDUP_ARGS)

BENCH_FILTERS_ARGS ?=
bench-filters: setup ## normalize_text (both engines) / language / toxicity / quality_heuristics docs/s/core next to read+write (BENCH_FILTERS_ARGS=--docs 20000 --cores 1)
	$(BIN)/python bench/filters_bench.py $(BENCH_FILTERS_ARGS)
	$(BIN)/python bench/filters_langid_eval.py --backends fasttext,cld2
	$(BIN)/python bench/filters_toxicity_eval.py

BENCH_PIPELINE_ARGS ?=
bench-pipeline: setup ## ingest / curate / stages / `run` (no-op, increments) next to the I/O floor (N=100000; BENCH_PIPELINE_ARGS=--skip-stages)
	$(BIN)/python -m bench.pipeline_bench --n $(N) $(BENCH_PIPELINE_ARGS)

BENCH_AUDIT_ARGS ?=
bench-audit: setup ## Deequ audit wall time on a 1M-row silver table next to count() of it (BENCH_AUDIT_ARGS=--rows 200000)
	$(BIN)/python bench/audit_bench.py $(BENCH_AUDIT_ARGS)

bench-pii: setup ## pii_mask docs/s/core and MB/s/core next to Presidio regex recognizers (BENCH_PII_ARGS=--docs 20000)
	$(BIN)/pip install -q -e '.[pii-bench]'
	$(BIN)/python bench/pii_bench.py $(BENCH_PII_ARGS)

.PHONY: bench-pii-ner
BENCH_PII_NER_ARGS ?=
bench-pii-ner: setup ## person-name P/R of each NER backend on the Presidio set + pii_mask docs/s/core with and without NER (BENCH_PII_NER_ARGS=--docs 6000)
	$(BIN)/python bench/pii_ner_eval.py $(BENCH_PII_NER_ARGS)

clean-lakehouse: ## forget all local tables, checkpoints and MLflow runs (the sample is ingested again)
	rm -rf lakehouse mlruns.db mlartifacts spark-warehouse

clean: clean-lakehouse ## also remove the venv and jars
	rm -rf $(VENV) jars build dist *.egg-info
