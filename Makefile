# Thin wrapper over CMake: `make demo`, `make test`, `make bench`.
# SANITIZE=1 builds and tests under AddressSanitizer + UndefinedBehaviorSanitizer.
JOBS ?= $(shell nproc)
ifeq ($(SANITIZE),1)
BUILD ?= build-asan
CMAKE_FLAGS += -DPB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
else
BUILD ?= build
endif

.PHONY: all deps build test demo bench format format-check clean

all: build

deps:
	@sh scripts/deps.sh web $(BUILD)

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build format-check
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

demo: build
	@sh scripts/demo.sh $(BUILD)

bench: build
	@sh scripts/deps.sh bench
	@sh bench/run.sh $(BUILD) $(if $(QUICK),quick,full)

SOURCES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h')

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run -Werror $(SOURCES) && echo "format-check: ok"

clean:
	rm -rf build build-asan
