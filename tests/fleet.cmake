# Issue 12 (fleet behaviour): publishers' hosts up and down, down periods in reports, slow
# subscribers dropped at the HWM.
pb_check_test(pb_outage LIBS pb_reporter)
foreach(t updown slow_sub)
  pb_script_test(fleet.${t} ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_fleet_${t}.py)
endforeach()
