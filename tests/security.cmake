# Issue 12 (secure and multi-host): CURVE certificates, the allow directory, the bind rule, and
# CURVE on every socket of the real binaries over tcp://127.0.0.1 (ephemeral ports).
pb_check_test(pb_curve LIBS pb_schemas PkgConfig::ZMQ)
pb_check_test(pb_curve_allow LIBS pb_schemas PkgConfig::ZMQ)
pb_check_test(pb_connmon LIBS pb_subscriber PkgConfig::ZMQ)
pb_script_test(security.curve_bus ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_curve_bus.py)
pb_script_test(security.curve_pyzmq ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_curve_pyzmq.py)
pb_script_test(security.bind_rule ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_curve_bind.py)
pb_script_test(security.connects ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_curve_connects.py)
