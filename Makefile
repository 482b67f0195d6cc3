# Thin wrapper: every real rule lives in CMake (CMakePresets.json) and packaging/.
SHELL := /bin/bash
CONFIG ?= etc/fibd-dev.yaml
# `make run` serves with the memory plugin of the build tree (an absolute path,
# which a committed config file cannot hold).
RUN_FLAGS ?= --cache-plugin-path $(CURDIR)/build/plugins/memory.so
JOBS ?= $(shell nproc)
# Debian release `make deb` builds for: trixie (stable) or bookworm (oldstable).
RELEASE ?= trixie
# Seconds per fuzz target: `make check` runs each for 20 s, `make fuzz` longer.
FUZZ_SECONDS ?= 600

.PHONY: all deps build run check check-default check-asan check-tsan check-fuzz bench fuzz deb clean

all: build

deps:
	packaging/install-deps

build: deps
	cmake --preset default >/dev/null
	cmake --build --preset default -j $(JOBS)

run: build
	build/bin/fibd --config $(CONFIG) $(RUN_FLAGS)

check: deps
	packaging/run-checks

check-default: deps
	packaging/run-checks default

check-asan: deps
	packaging/run-checks asan

check-tsan: deps
	packaging/run-checks tsan

check-fuzz: deps
	packaging/run-checks fuzz

fuzz: deps
	FIBD_FUZZ_SECONDS=$(FUZZ_SECONDS) packaging/run-checks fuzz

bench: build
	bench/run

# The release's four packages, built in a clean root of that release, unit
# tests run, lintian- and blhc-clean: build/debs/$(RELEASE)/.
deb: deps
	packaging/build-debs $(RELEASE)

clean:
	rm -rf build build-asan build-tsan build-fuzz
