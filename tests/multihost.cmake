# Issue 12 (multi-host): three publisher hosts, a subscriber host and a monitoring host in
# network namespaces (tests/py/netns.py), CURVE on every socket, TLS + a token on HTTP. Root.
pb_script_test(multihost.netns ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_multihost.py)
