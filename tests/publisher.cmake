# perfbusd: settings, the daemon over real sockets, and the CLI against it.
pb_check_test(pb_config LIBS pb_publisher)
pb_script_test(integration.cli_daemon sh ${PB_TESTS_DIR}/cli_daemon.sh)
