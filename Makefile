# The two commands of README.md, plus helpers. Each installs what it needs.
#   make run    build, start kopfd on ./data and open the kopf shell
#   make test   build everything and run every test
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run serve test bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run.sh

# Serve in the foreground on ./data (no shell).
serve: build
	@mkdir -p data
	@$(BUILD)/bin/kopfd --data data

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
