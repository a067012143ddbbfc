# Issue 5: perfbus-report — model, downsampling, charts, renderers, exports, scheduling, CLI.
# pb_rollup (schemas/) is checked here: its suite builds synthetic runs with pb_synth (reporter/).
foreach(module pb_downsample pb_text pb_model pb_chart pb_table pb_pdf pb_html pb_export
        pb_source pb_report pb_schedule pb_synth pb_progress pb_profile pb_rollup pb_bucket
        pb_rollread)
  pb_check_test(${module} LIBS pb_reporter)
endforeach()

# Integration: the real binaries on synthetic runs, checked with qpdf, poppler, html.parser,
# headless Chromium, systemd-analyze and perfbus-sub's `summary` op. Debian's python3 has
# python3-zmq/msgpack; a python3 earlier on PATH (pyenv, venv) usually lacks them.
foreach(name pdf html cli schedule summary live long)
  pb_script_test(report.${name} ${PB_PYTHON3} ${PB_TESTS_DIR}/py/test_report_${name}.py)
endforeach()
