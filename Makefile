# Thin wrapper over CMake.  `make run` and `make test` do all set-up.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
# WERROR=ON: warnings are errors (CI sets it)
WERROR ?= OFF

.PHONY: deps configure build run test test-asan test-valgrind test-faults fuzz bench deb clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DRBLMON_WERROR=$(WERROR) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/rblmon -c config/rblmon.example.yaml check --no-state; \
	  rc=$$?; echo "(exit code $$rc: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DRBLMON_SANITIZE=ON \
	  -DRBLMON_WERROR=$(WERROR) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# The CLI tests, and the integration suites that drive the CLI through
# checks, state, log scans and rotations, under valgrind (memcheck): a memory error or
# a definite leak fails.
VALGRIND_TESTS = ^cli\.|^integration\.(check|logs|rotation|state)$$
test-valgrind: build
	cd $(BUILD) && RBLMON_VALGRIND=1 ctest --output-on-failure -j $(JOBS) \
	  -R '$(VALGRIND_TESTS)'

# The fault-injection sweep at every N, not the sample `make test` tries:
# check, scan-logs, remind and run with each file operation in the state
# directory failed (full disk, I/O error) or killed in turn; a few minutes.
test-faults: build
	cd $(BUILD) && RBLMON_FAULT_FULL=1 ctest --output-on-failure -V -R '^fault\.'

# libFuzzer builds (clang, ASan + UBSan) of every fuzz target, each run
# FUZZ_SECONDS (default 60) from its corpus in tests/fuzz/, or FUZZ_RUNS
# inputs from a fixed seed; new inputs go to $(FUZZ_BUILD)/corpus/,
# crashes to $(FUZZ_BUILD)/crashes/.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DRBLMON_FUZZ=ON -DRBLMON_SANITIZE=ON -DRBLMON_WERROR=$(WERROR) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	@scripts/fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_RUNS)

bench: build
	bench/dnsbl-bench.sh $(BUILD)/rblmon
	bench/logscan-bench.sh $(BUILD)/rblmon
	bench/reputation-bench.py $(BUILD)/rblmon
	bench/auth-bench.sh $(BUILD)/rblmon
	bench/scale-bench.sh $(BUILD)/rblmon
	bench/feed-bench.sh $(BUILD)/rblmon
	bench/spf-suite-bench.py $(BUILD)/rblmon

# The Debian package, built with the distribution's tools (debian/) from a
# copy of the tree in $(DEB_BUILD)/src, so that the tree stays clean: the
# .deb, .changes and .buildinfo land in $(DEB_BUILD)/; lintian then checks
# them (an error fails).
DEB_BUILD ?= build-deb
deb: deps
	rm -rf $(DEB_BUILD) && mkdir -p $(DEB_BUILD)/src
	tar -c --exclude-vcs --exclude='./build' --exclude='./build-*' -f - . | \
	  tar -x -C $(DEB_BUILD)/src
	cd $(DEB_BUILD)/src && dpkg-buildpackage -b -us -uc -j$(JOBS)
	lintian --fail-on error $(DEB_BUILD)/*.changes

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(DEB_BUILD)
