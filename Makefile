# Thin wrapper over CMake: `make demo`, `make test`, `make bench`.
# SANITIZE=1 builds and tests under AddressSanitizer + UndefinedBehaviorSanitizer.
JOBS ?= $(shell nproc)
ifeq ($(SANITIZE),1)
BUILD ?= build-asan
CMAKE_FLAGS += -DPB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
else
BUILD ?= build
endif

.PHONY: all deps build build-quiet test demo bench deb format format-check clean

all: build

deps:
	@sh scripts/deps.sh web $(BUILD)

# --no-print-directory: CMake's makefiles recurse, and each level would say
# "Entering directory" and "Leaving directory" around every target.
BUILD_CMD = cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@$(BUILD_CMD)

# The demo's build is quiet (its log is kept) so that what it prints is the demo.
build-quiet: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@$(BUILD_CMD) >$(BUILD)/build.log 2>&1 || { tail -n 40 $(BUILD)/build.log; \
		echo "build failed: $(BUILD)/build.log" >&2; exit 1; }
	@echo "build: ok ($(BUILD)/build.log)"

test: build format-check
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

demo: build-quiet
	@sh scripts/demo.sh $(BUILD)

bench: build
	@sh scripts/deps.sh bench
	@sh bench/run.sh $(BUILD) $(if $(QUICK),quick,full)

# Debian packages (perfbus, libperfbus0, libperfbus-dev) with debhelper, collected in
# $(BUILD)/deb/ with the lintian report; dpkg-buildpackage writes them next to the tree.
deb: build
	@sh scripts/deps.sh deb
	@PB_WEB_DEPS=$(abspath $(BUILD))/web-deps sh scripts/deb.sh $(BUILD)/deb

SOURCES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h')

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run -Werror $(SOURCES) && echo "format-check: ok"

clean:
	rm -rf build build-asan
