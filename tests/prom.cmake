# Issue 11: the Prometheus naming function and perfbus-sub's HTTP face with GET /metrics.
pb_check_test(pb_prom LIBS pb_schemas)
pb_script_test(prom.scrape ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_prom_scrape.py)
pb_check_test(pb_metrics LIBS pb_subscriber)
pb_check_test(pb_http LIBS pb_subscriber)
pb_script_test(prom.server ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_prom_server.py)
pb_script_test(prom.tls ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_http_tls.py)
pb_script_test(prom.grafana ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_prom_grafana.py)
