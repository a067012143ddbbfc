# perfbusd: settings, the daemon over real sockets, and the CLI against it.
pb_check_test(pb_config LIBS pb_publisher)
pb_script_test(integration.cli_daemon sh ${PB_TESTS_DIR}/cli_daemon.sh)
pb_script_test(publisher.ctxsw_carry ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_ctxsw_carry.py)
pb_script_test(cli.durations ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_duration_flags.py)
