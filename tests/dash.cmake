# Issue 14: the live dashboard — event streams, the page's routes, a real browser, and load.
pb_check_test(pb_events_buf LIBS pb_subscriber)
pb_check_test(pb_events LIBS pb_subscriber)
pb_check_test(pb_events_index LIBS pb_subscriber)
pb_check_test(pb_dash LIBS pb_subscriber)
pb_script_test(dash.browser ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_dash_browser.py)
pb_script_test(dash.load ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_dash_load.py)
pb_script_test(dash.streams ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_dash_streams.py)
