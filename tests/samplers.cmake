# The /proc samplers of perfbusd: reading, parsers, sys and proc samplers (fixtures under fixtures/proc-*).
pb_check_test(pb_procfs LIBS pb_publisher)
pb_check_test(pb_sys_sampler LIBS pb_publisher)
pb_check_test(pb_proc_sampler LIBS pb_publisher)
