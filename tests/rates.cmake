# Hardening: rates stay physical at short intervals; patterns from the network stay bounded.
pb_script_test(hardening.rates_churn ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_rates_churn.py)
pb_script_test(hardening.watch_patterns ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_watch_patterns.py)
