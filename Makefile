# The two commands of README.md, plus helpers. Each installs what it needs.
#   make run    build, start kopfd on ./data and open the kopf shell
#   make test   build everything and run every test
BUILD ?= build
JOBS ?= $(shell nproc)
MAKEFLAGS += --no-print-directory

.PHONY: all deps build run serve test bench clean

all: build

deps:
	@scripts/install-deps.sh

# Configure once with Ninja (a build folder made by another generator is
# replaced), then let Ninja rebuild only what changed.
build: deps
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  rm -rf $(BUILD) && \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null; \
	fi
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
