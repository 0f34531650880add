# Thin wrapper over CMake.  `make run` and `make test` do all set-up.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: deps configure build run test test-asan bench clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/rblmon -c config/rblmon.example.yaml check --no-state; \
	  rc=$$?; echo "(exit code $$rc: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DRBLMON_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bench/dnsbl-bench.sh $(BUILD)/rblmon
	bench/logscan-bench.sh $(BUILD)/rblmon
	bench/reputation-bench.py $(BUILD)/rblmon
	bench/auth-bench.sh $(BUILD)/rblmon

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
