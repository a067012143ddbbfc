# Issue 5: perfbus-report — model, downsampling, charts, renderers, exports, scheduling, CLI.
foreach(module pb_downsample pb_text pb_model pb_chart pb_table pb_pdf pb_html pb_export
        pb_source pb_report pb_schedule pb_synth pb_progress)
  pb_check_test(${module} LIBS pb_reporter)
endforeach()

# Integration: the real binaries on synthetic runs, checked with qpdf, poppler, html.parser,
# Chromium and perfbus-sub's `summary` op.
foreach(name pdf html cli schedule summary)
  pb_script_test(report.${name} python3 ${CMAKE_CURRENT_SOURCE_DIR}/py/test_report_${name}.py)
endforeach()
