# Issue 11: the Prometheus naming function and perfbus-sub's HTTP face with GET /metrics.
pb_check_test(pb_prom LIBS pb_schemas)
