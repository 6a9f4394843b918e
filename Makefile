.PHONY: run test ci lint

run:
	python3 scripts/run

test:
	python3 scripts/test

ci:
	bash .ci/run

lint:
	.venv/bin/ruff check .
