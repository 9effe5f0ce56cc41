# Dx0 — the two commands: `make run` and `make test`. Every target installs what it needs first.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

DX0_ADDR ?= 127.0.0.1:3000
export DX0_ADDR

.PHONY: run build build-debug test tools tools-test fmt lint unit e2e dev help test-llm

help:
	@echo "make run    build (release) and serve Dx0 at http://$(DX0_ADDR)"
	@echo "make test   format check, clippy (server and wasm), tests, release build, browser suite"
	@echo "make dev    live-reloading development server (needs cargo-leptos, see README)"
	@echo "make test-llm  dx0 against a real language-model server (SmolLM2 on llama-cpp-python;"
	@echo "               installs it into .tools/ once, about 8 minutes; not part of make test)"

## Install the build tools (wasm32 target, wasm-bindgen-cli, wasm-opt) when missing.
tools:
	scripts/install-tools.sh build

## Also install the test tools (Chromium, Playwright, PostgreSQL) when missing.
tools-test:
	scripts/install-tools.sh test

## Build the server and the browser bundle (release).
build: tools
	scripts/build.sh release

build-debug: tools
	scripts/build.sh debug

## Build and serve the app on an embedded SQLite database.
run: build
	@echo "Dx0 will serve at http://$(DX0_ADDR) (Ctrl-C to stop)"
	target/release/dx0 serve

## Live-reloading development loop.
dev: tools
	@command -v cargo-leptos >/dev/null || { echo "cargo-leptos is missing: cargo install cargo-leptos --version 0.3.10 --locked --no-default-features --features no_downloads"; exit 1; }
	cargo leptos watch

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

## Server-side tests (needs DX0_TEST_POSTGRES_URL for the PostgreSQL half; `make test` sets it).
unit:
	cargo test --features ssr

## The browser suite against the release build (needs `make build` first).
e2e:
	cd end2end && npx playwright test

test: tools-test lint build
	DX0_REQUIRE_POSTGRES=1 scripts/with-postgres.sh $(MAKE) --no-print-directory unit e2e

## Every mode of `dx0 run` and one socket encounter against a real language-model server
## (llama-cpp-python serving SmolLM2-135M, installed into .tools/llm): plumbing and honesty, not
## accuracy. Slow (tens of minutes on two cores); not part of `make test`.
test-llm:
	scripts/test-llm.sh
