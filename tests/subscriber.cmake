# Issue 3: stored runs (segments, run directories), the subscriber and the recorder.
pb_check_test(pb_segment LIBS pb_schemas)
pb_check_test(pb_run LIBS pb_schemas)
pb_check_test(pb_summary LIBS pb_subscriber)
pb_check_test(pb_ring LIBS pb_subscriber)
pb_check_test(pb_history LIBS pb_subscriber)
pb_check_test(pb_sources LIBS pb_subscriber)
pb_check_test(pb_query LIBS pb_subscriber)
