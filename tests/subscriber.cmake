# Issue 3: stored runs (segments, run directories), the subscriber and the recorder.
pb_check_test(pb_segment LIBS pb_schemas)
pb_check_test(pb_run LIBS pb_schemas)
pb_check_test(pb_sealed LIBS pb_schemas)
pb_check_test(pb_sealer LIBS pb_schemas)
pb_check_test(pb_summary LIBS pb_subscriber)
pb_check_test(pb_ring LIBS pb_subscriber)
pb_check_test(pb_history LIBS pb_subscriber)
pb_check_test(pb_sources LIBS pb_subscriber)
pb_check_test(pb_query LIBS pb_subscriber)
pb_check_test(pb_options LIBS pb_subscriber)
pb_check_test(pb_sub LIBS pb_subscriber)

# Integration over real sockets, checked from Python (Debian's python3-zmq/msgpack).
foreach(t record_summary kill9 kill9_seal restart bad_input cli_store)
  pb_script_test(subscriber.${t} ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_sub_${t}.py)
endforeach()
