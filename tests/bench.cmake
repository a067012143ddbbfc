# Issue 6: `make bench` helpers. The figures themselves are not tests (timed
# pass/fail is flaky on a shared machine); what is tested is that the helper's
# frames are right and that its commands run end to end over real sockets.
if(TARGET pb_bench)
  pb_check_test(pb_bench_frames LIBS pb_bench)
endif()
if(TARGET pb-bench)
  pb_script_test(bench.smoke sh ${PB_TESTS_DIR}/bench_smoke.sh)
endif()
