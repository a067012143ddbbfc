# Issue 9, strings: UTF-8 on the wire, JSON output, terminal escapes in the CLI.
pb_check_test(pb_utf8 LIBS pb_schemas)
pb_check_test(pb_proc_read LIBS pb_publisher)
pb_check_test(pb_cli_term LIBS pb_cli)
pb_script_test(contract.wire_strings ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_wire_strings.py)
