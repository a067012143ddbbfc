# Issue 9 (hardening): hostile clients against the real daemon over ipc sockets.
pb_script_test(hardening.daemon_abuse ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_daemon_abuse.py)
# The connection monitor that trims perfbusd's memory after connection storms.
pb_check_test(pb_sockmon LIBS pb_schemas PkgConfig::ZMQ)
pb_script_test(hardening.conn_cap ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_conn_cap.py)
# The ZAP handler that caps each request socket's open connections.
pb_check_test(pb_zap LIBS pb_schemas PkgConfig::ZMQ)
