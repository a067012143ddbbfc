# Issue 15: what `cmake --install` puts under a prefix, and that it works from there.
pb_script_test(install.prefix ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_install.py)
pb_script_test(install.deb ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_deb.py)
pb_script_test(build.noop sh ${PB_TESTS_DIR}/build_noop.sh)
pb_script_test(cli.forms ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_cli_forms.py)
pb_script_test(cli.completion ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_completion.py)
