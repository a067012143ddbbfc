# The perfbus CLI: its number formats, and its conventions and papercuts over real sockets.
pb_check_test(pb_cli_fmt LIBS pb_cli)
pb_check_test(pb_getopt LIBS pb_schemas)
foreach(case json tables health_bool replay_port ipc_takeover bad_endpoint process_pid
        profile_runs summary_field store_paths)
  pb_script_test(cli.${case} ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_cli_papercuts.py ${case})
endforeach()
