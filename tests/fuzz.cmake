# libFuzzer harnesses (tests/fuzz/): a clang sub-build in <build>/fuzz, one ctest per harness that
# replays the corpus and the reproducers, then mutates for a bounded number of runs.
include(ExternalProject)

# The main build may use gcc; libFuzzer needs clang and its runtime (scripts/deps.sh installs
# clang and libclang-rt-14-dev). Missing either is a configure error, not a silent skip.
find_program(PB_CLANG NAMES clang clang-14)
if(NOT PB_CLANG)
  message(FATAL_ERROR "perfbus: clang not found; the fuzz harnesses need it (run scripts/deps.sh)")
endif()
set(PB_FUZZ_PROBE ${CMAKE_BINARY_DIR}/fuzz-probe)
file(WRITE ${PB_FUZZ_PROBE}.c
  "#include <stddef.h>\n#include <stdint.h>\n"
  "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
execute_process(
  COMMAND ${PB_CLANG} -fsanitize=fuzzer,address,undefined ${PB_FUZZ_PROBE}.c -o ${PB_FUZZ_PROBE}
  RESULT_VARIABLE PB_FUZZ_PROBE_RC ERROR_VARIABLE PB_FUZZ_PROBE_ERR OUTPUT_QUIET)
if(NOT PB_FUZZ_PROBE_RC EQUAL 0)
  message(FATAL_ERROR "perfbus: ${PB_CLANG} cannot link -fsanitize=fuzzer (install libclang-rt-14-dev,"
                      " see scripts/deps.sh):\n${PB_FUZZ_PROBE_ERR}")
endif()

# BUILD_ALWAYS: the sub-build is incremental, and it must see edits to the modules it compiles.
ExternalProject_Add(pb_fuzz
  SOURCE_DIR ${PB_TESTS_DIR}/fuzz
  BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
  CMAKE_ARGS -DCMAKE_C_COMPILER=${PB_CLANG} -DPB_SOURCE_DIR=${CMAKE_SOURCE_DIR}
             -DPB_VERSION=${PROJECT_VERSION}
  BUILD_ALWAYS ON
  INSTALL_COMMAND "")

# pb_fuzz_test(<harness> <runs> <max_len> [timeout_s]): fuzz.<harness>. runs is chosen so that
# each takes 10-20 s on a loaded 2-core machine; the seed is fixed so that a failure reproduces.
function(pb_fuzz_test harness runs max_len)
  add_test(NAME fuzz.${harness}
    COMMAND sh ${PB_TESTS_DIR}/fuzz/run_ci.sh ${CMAKE_BINARY_DIR}/fuzz ${harness} ${runs} ${max_len}
            ${ARGN})
  set_tests_properties(fuzz.${harness} PROPERTIES TIMEOUT 300)
endfunction()

pb_fuzz_test(codec 150000 4096)
pb_fuzz_test(mpread 100000 4096)
pb_fuzz_test(frame_reader 100000 4096)
pb_fuzz_test(json 100000 4096)
pb_fuzz_test(frame 100000 4096)
pb_fuzz_test(segment 60000 8192)
pb_fuzz_test(sealed 150000 16384)
pb_fuzz_test(run 4000 8192)
pb_fuzz_test(kvfile 100000 2048)
pb_fuzz_test(proc_parse 400000 2048)
pb_fuzz_test(sys_parse 150000 4096)
pb_fuzz_test(history 30000 16384)
pb_fuzz_test(model 60000 16384)
# 3 s: one request and one sampling cycle over 6 fixture processes take milliseconds; a watch
# pattern that backtracks for seconds is the defect (issue 9 #1).
pb_fuzz_test(control 50000 4096 3)
pb_fuzz_test(sys_sampler 6000 16384)
