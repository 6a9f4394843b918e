.PHONY: run test ci lint bench

run:
	python3 scripts/run

test:
	python3 scripts/test

ci:
	bash .ci/run

lint:
	.venv/bin/ruff check .
	.venv/bin/lint-imports

# The benchmarks of BENCHMARKS.md; needs DATABASE_URL (PostgreSQL), REDIS_URL and CRS_TASK_QUEUE of your own.
bench:
	.venv/bin/python bench/run_all.py
