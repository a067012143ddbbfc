# Issue 11: the Prometheus naming function and perfbus-sub's HTTP face with GET /metrics.
pb_check_test(pb_prom LIBS pb_schemas)
pb_script_test(prom.scrape ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_prom_scrape.py)
pb_check_test(pb_metrics LIBS pb_subscriber)
pb_check_test(pb_http LIBS pb_subscriber)
pb_script_test(prom.server ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_prom_server.py)
pb_script_test(prom.tls ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_http_tls.py)
pb_script_test(prom.grafana ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_prom_grafana.py)
# Remote-Write 1.0: the protobuf entries, the bounded queue, the sender, and a real receiver.
pb_check_test(pb_prompb LIBS pb_schemas)
pb_check_test(pb_rw_queue LIBS pb_subscriber)
pb_script_test(prom.remote_write ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_remote_write.py)
pb_check_test(pb_rw_sender LIBS pb_subscriber)
target_link_libraries(test_pb_rw_sender PRIVATE snappy) # the test uncompresses what was sent
