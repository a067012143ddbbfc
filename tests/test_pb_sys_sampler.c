/* Check suite for pb_sys_sampler: sys bodies from fixture snapshots and from the real /proc. */
#include "pb_sys_sampler.h"

#include "pb_test_catalogued.h"
#include "pb_test_swap.h"

#include <check.h>
#include <sys/utsname.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0  PB_FIXTURES "/proc-t0"
#define T1  PB_FIXTURES "/proc-t1"
#define SEC 1000000000ull
#define KB  1024ull

static double num(const pb_value_t *body, const char *path)
{
    double d = -1;
    const pb_value_t *v = pb_value_path(body, path);
    ck_assert_msg(v != NULL, "missing %s", path);
    ck_assert_int_eq(pb_value_get_f64(v, &d), 0);
    return d;
}

static uint64_t u64(const pb_value_t *body, const char *path)
{
    uint64_t u = 0;
    const pb_value_t *v = pb_value_path(body, path);
    ck_assert_msg(v != NULL, "missing %s", path);
    ck_assert_int_eq(pb_value_get_u64(v, &u), 0);
    return u;
}

static bool flag(const pb_value_t *body, const char *key)
{
    bool b = false;
    ck_assert_int_eq(pb_value_get_bool(pb_value_map_get(body, key), &b), 0);
    return b;
}

static const pb_value_t *item(const pb_value_t *body, const char *array, size_t i)
{
    const pb_value_t *a = pb_value_path(body, array);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_gt(pb_value_len(a), i);
    return pb_value_array_at(a, i);
}

static const char *name_of(const pb_value_t *m)
{
    const char *s = NULL;
    ck_assert_int_eq(pb_value_map_get_str(m, "name", &s), 0);
    return s;
}

/* Samples root at mono_ns; fails the test on error. */
static pb_value_t *sample(pb_sys_sampler_t *s, uint64_t mono_ns)
{
    pb_value_t *body = NULL;
    char err[128] = "";
    int rc = pb_sys_sampler_sample(s, mono_ns, &body, err, sizeof err);
    ck_assert_msg(rc == 0, "sample failed: %d %s", rc, err);
    return body;
}

/* The two snapshots are read through a symlink the test repoints, so one
 * sampler sees t0, then t1. */
static pb_sys_sampler_t *swap_sampler(pb_test_swap_t *sw)
{
    pb_test_swap_start(sw, T0);
    pb_sys_sampler_t *s = pb_sys_sampler_new(sw->link);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void swap_done(pb_test_swap_t *sw, pb_sys_sampler_t **s)
{
    pb_sys_sampler_destroy(s);
    pb_test_swap_end(sw);
}

START_TEST(first_sample_has_counters_and_no_rates)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new(T0);
    ck_assert_ptr_nonnull(s);
    pb_value_t *body = sample(s, 100 * SEC);
    pb_sys_sampler_destroy(&s);
    ck_assert(flag(body, "first"));
    ck_assert_double_eq(num(body, "interval_s"), 0.0);
    ck_assert_double_eq_tol(num(body, "uptime_s"), 1900.0, 1e-9);
    ck_assert_uint_eq(u64(body, "cpu.ncpu"), 2);
    ck_assert_uint_eq(u64(body, "cpu.clk_tck"), (uint64_t)sysconf(_SC_CLK_TCK));
    ck_assert_uint_eq(u64(body, "cpu.total.user_ticks_total"), 1486 + 2235);
    ck_assert_uint_eq(u64(body, "cpu.total.guest_ticks_total"), 100);
    ck_assert_ptr_null(pb_value_path(body, "cpu.total.user_pct"));
    ck_assert_ptr_null(pb_value_path(item(body, "cpu.cores", 0), "busy_pct"));
    ck_assert_ptr_null(pb_value_path(body, "disk.total.reads_per_s"));
    ck_assert_ptr_null(pb_value_path(body, "disk.total.util_pct"));
    ck_assert_ptr_null(pb_value_path(body, "net.total.rx_bytes_per_s"));
    ck_assert_ptr_null(pb_value_map_get(body, "ctxt_per_s"));
    ck_assert_uint_eq(u64(body, "ctxt_total"), 348343);
    ck_assert_uint_eq(u64(body, "intr_total"), 189943);
    ck_assert_uint_eq(u64(body, "forks_total"), 5267);
    pb_value_destroy(&body);
}
END_TEST

START_TEST(every_key_is_catalogued_with_its_type)
{
    pb_test_swap_t sw;
    pb_sys_sampler_t *s = swap_sampler(&sw);
    pb_value_t *first = sample(s, 100 * SEC);
    pb_test_swap_to(&sw, T1);
    pb_value_t *later = sample(s, 101 * SEC);
    swap_done(&sw, &s);
    size_t n_first = pb_test_catalogued(PB_FT_SYS, NULL, first);
    size_t n_later = pb_test_catalogued(PB_FT_SYS, NULL, later);
    ck_assert_uint_gt(n_first, 80);
    ck_assert_uint_gt(n_later, n_first); /* the rates */
    pb_value_destroy(&first);
    pb_value_destroy(&later);
}
END_TEST

START_TEST(cpu_rates_follow_sar)
{
    pb_test_swap_t sw;
    pb_sys_sampler_t *s = swap_sampler(&sw);
    pb_value_t *b0 = sample(s, 100 * SEC);
    pb_test_swap_to(&sw, T1);
    pb_value_t *b1 = sample(s, 101 * SEC);
    ck_assert(!flag(b1, "first"));
    ck_assert_double_eq_tol(num(b1, "interval_s"), 1.0, 1e-12);
    /* 200 ticks over both cores: user 60 of which 10 guest, nice 10, ... */
    ck_assert_double_eq_tol(num(b1, "cpu.total.user_pct"), 25.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.nice_pct"), 5.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.system_pct"), 10.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.idle_pct"), 50.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.iowait_pct"), 2.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.irq_pct"), 1.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.softirq_pct"), 1.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.steal_pct"), 1.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "cpu.total.busy_pct"), 48.0, 1e-9);
    const pb_value_t *c0 = item(b1, "cpu.cores", 0);
    const pb_value_t *c1 = item(b1, "cpu.cores", 1);
    ck_assert_uint_eq(u64(c0, "id"), 0);
    ck_assert_double_eq_tol(num(c0, "user_pct"), 30.0, 1e-9);
    ck_assert_double_eq_tol(num(c0, "busy_pct"), 40.0, 1e-9);
    ck_assert_uint_eq(u64(c1, "id"), 1);
    ck_assert_double_eq_tol(num(c1, "user_pct"), 20.0, 1e-9);
    ck_assert_double_eq_tol(num(c1, "nice_pct"), 10.0, 1e-9);
    ck_assert_double_eq_tol(num(c1, "busy_pct"), 56.0, 1e-9);
    ck_assert_uint_eq(u64(c1, "guest_ticks_total"), 110);
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    swap_done(&sw, &s);
}
END_TEST

START_TEST(counter_rates_and_procs)
{
    pb_test_swap_t sw;
    pb_sys_sampler_t *s = swap_sampler(&sw);
    pb_value_t *b0 = sample(s, 100 * SEC);
    pb_test_swap_to(&sw, T1);
    pb_value_t *b1 = sample(s, 102 * SEC); /* two seconds: rates halve */
    ck_assert_double_eq_tol(num(b1, "interval_s"), 2.0, 1e-12);
    ck_assert_double_eq_tol(num(b1, "ctxt_per_s"), 2500.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "intr_per_s"), 1000.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "forks_per_s"), 5.0, 1e-9);
    ck_assert_uint_eq(u64(b1, "procs.total"), 6); /* numeric dirs of proc-t1 */
    ck_assert_uint_eq(u64(b1, "procs.running"), 3);
    ck_assert_uint_eq(u64(b1, "procs.blocked"), 1);
    ck_assert_uint_eq(u64(b1, "procs.threads"), 88);
    ck_assert_double_eq_tol(num(b1, "load.avg1"), 0.82, 1e-12);
    ck_assert_double_eq_tol(num(b1, "load.avg15"), 0.12, 1e-12);
    ck_assert_uint_eq(u64(b1, "load.runnable"), 3);
    ck_assert_uint_eq(u64(b1, "load.threads"), 88);
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    swap_done(&sw, &s);
}
END_TEST

/* Runs a shell command of the test; fails the test when it fails. */
static void shell(const char *fmt, const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, fmt, dir, dir);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* /proc is listed only when a task came (the forks counter moved) or went (the task count
 * changed): a process directory appearing with neither is not seen, which shows the listing
 * was skipped; moving either counter lists again. */
START_TEST(processes_listed_only_when_tasks_come_or_go)
{
    char dir[] = "/tmp/pb_census_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    shell("cp -r " T0 "/proc %s/proc && : %s", dir);
    pb_sys_sampler_t *s = pb_sys_sampler_new(dir);
    ck_assert_ptr_nonnull(s);
    pb_value_t *b = sample(s, 100 * SEC);
    ck_assert_uint_eq(u64(b, "procs.total"), 6);
    pb_value_destroy(&b);
    shell("mkdir %s/proc/55555 && : %s", dir);
    b = sample(s, 101 * SEC); /* same forks, same tasks: the count stands */
    ck_assert_uint_eq(u64(b, "procs.total"), 6);
    pb_value_destroy(&b);
    shell("sed -i 's/^processes 5267$/processes 5268/' %s/proc/stat && : %s", dir);
    b = sample(s, 102 * SEC); /* a fork: listed again */
    ck_assert_uint_eq(u64(b, "procs.total"), 7);
    pb_value_destroy(&b);
    shell("rmdir %s/proc/55555 && sed -i 's|3/88|3/87|' %s/proc/loadavg", dir);
    b = sample(s, 103 * SEC); /* a task went: listed again */
    ck_assert_uint_eq(u64(b, "procs.total"), 6);
    pb_value_destroy(&b);
    pb_sys_sampler_destroy(&s);
    shell("rm -rf %s && : %s", dir);
}
END_TEST

START_TEST(memory_as_free)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new(T0);
    pb_value_t *b = sample(s, SEC);
    ck_assert_uint_eq(u64(b, "mem.total_bytes"), 24683620 * KB);
    ck_assert_uint_eq(u64(b, "mem.available_bytes"), 24401628 * KB);
    ck_assert_uint_eq(u64(b, "mem.used_bytes"), (24683620 - 24401628) * KB);
    ck_assert_uint_eq(u64(b, "mem.free_bytes"), 24462896 * KB);
    ck_assert_uint_eq(u64(b, "mem.buffers_bytes"), 3296 * KB);
    ck_assert_uint_eq(u64(b, "mem.cached_bytes"), (38912 + 88152) * KB); /* + SReclaimable */
    ck_assert_uint_eq(u64(b, "mem.shared_bytes"), 8884 * KB);
    ck_assert_uint_eq(u64(b, "mem.swap_used_bytes"), (1048576 - 1000000) * KB);
    ck_assert_double_eq_tol(num(b, "mem.used_pct"), 281992.0 / 24683620.0 * 100.0, 1e-9);
    /* node_exporter's lines alone; HardwareCorrupted is not in the fixture: absent */
    ck_assert_uint_eq(u64(b, "mem.page_cache_bytes"), 38912 * KB);
    ck_assert_uint_eq(u64(b, "mem.sreclaimable_bytes"), 88152 * KB);
    ck_assert_uint_eq(u64(b, "mem.slab_bytes"), 129688 * KB);
    ck_assert_uint_eq(u64(b, "mem.page_tables_bytes"), 1808 * KB);
    ck_assert_uint_eq(u64(b, "mem.swap_cached_bytes"), 0);
    ck_assert_ptr_null(pb_value_path(b, "mem.hardware_corrupted_bytes"));
    pb_value_destroy(&b);
    pb_sys_sampler_destroy(&s);
}
END_TEST

START_TEST(boot_time_and_the_kernels_names)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new(T0);
    pb_value_t *b = sample(s, SEC);
    ck_assert_uint_eq(u64(b, "boot_time_s"), 1795437444); /* the fixture's btime */
    struct utsname u;
    ck_assert_int_eq(uname(&u), 0);
    const char *names[] = {"uname.sysname", "uname.release", "uname.version", "uname.machine",
                           "uname.nodename"};
    const char *want[] = {u.sysname, u.release, u.version, u.machine, u.nodename};
    for (size_t i = 0; i < 5; i++) {
        const char *got = NULL;
        ck_assert_int_eq(pb_value_get_str(pb_value_path(b, names[i]), &got), 0);
        ck_assert_str_eq(got, want[i]);
    }
    pb_value_destroy(&b);
    b = sample(s, 2 * SEC); /* in every frame, not only the first */
    ck_assert_ptr_nonnull(pb_value_path(b, "uname.domainname"));
    pb_value_destroy(&b);
    pb_sys_sampler_destroy(&s);
}
END_TEST

/* proc-t0 has pressure/cpu and pressure/io; memory and irq are missing, proc-old has none. */
START_TEST(pressure_fields_are_there_when_their_files_are)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new(T0);
    pb_value_t *b = sample(s, SEC);
    ck_assert_uint_eq(u64(b, "pressure.cpu_waiting_us_total"), 1500000);
    ck_assert_uint_eq(u64(b, "pressure.cpu_stalled_us_total"), 0);
    ck_assert_uint_eq(u64(b, "pressure.io_waiting_us_total"), 250);
    ck_assert_uint_eq(u64(b, "pressure.io_stalled_us_total"), 125);
    ck_assert_ptr_null(pb_value_path(b, "pressure.memory_waiting_us_total"));
    ck_assert_ptr_null(pb_value_path(b, "pressure.irq_stalled_us_total"));
    pb_value_destroy(&b);
    pb_sys_sampler_destroy(&s);
    s = pb_sys_sampler_new(PB_FIXTURES "/proc-old");
    b = sample(s, SEC);
    ck_assert_ptr_null(pb_value_map_get(b, "pressure"));
    ck_assert_ptr_nonnull(pb_value_map_get(b, "mem"));
    pb_value_destroy(&b);
    pb_sys_sampler_destroy(&s);
}
END_TEST

/* proc-t0: eth0 at 10 Gb/s, ifb0 -1 (unknown), lo without a speed file */
START_TEST(link_speed_when_the_kernel_knows_it)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new(T0);
    pb_value_t *b = sample(s, SEC);
    const pb_value_t *lo = item(b, "net.interfaces", 0), *ifb0 = item(b, "net.interfaces", 1);
    const pb_value_t *eth0 = item(b, "net.interfaces", 2);
    ck_assert_str_eq(name_of(eth0), "eth0");
    ck_assert_uint_eq(u64(eth0, "speed_bytes"), 10000ull * 125000);
    ck_assert_ptr_null(pb_value_map_get(ifb0, "speed_bytes"));
    ck_assert_ptr_null(pb_value_map_get(lo, "speed_bytes"));
    ck_assert_ptr_null(pb_value_path(b, "net.total.speed_bytes"));
    pb_value_destroy(&b);
    b = sample(s, 2 * SEC); /* from the cache */
    ck_assert_uint_eq(u64(item(b, "net.interfaces", 2), "speed_bytes"), 10000ull * 125000);
    pb_value_destroy(&b);
    pb_sys_sampler_destroy(&s);
}
END_TEST

START_TEST(disks_are_whole_and_counted_once)
{
    pb_test_swap_t sw;
    pb_sys_sampler_t *s = swap_sampler(&sw);
    pb_value_t *b0 = sample(s, 100 * SEC);
    pb_test_swap_to(&sw, T1);
    pb_value_t *b1 = sample(s, 101 * SEC);
    /* partitions sda1/sda2 are not in sys/block; loop1 and zram0 never did I/O */
    const pb_value_t *devs = pb_value_path(b1, "disk.devices");
    ck_assert_uint_eq(pb_value_len(devs), 4);
    ck_assert_str_eq(name_of(item(b1, "disk.devices", 0)), "sda");
    ck_assert_str_eq(name_of(item(b1, "disk.devices", 1)), "dm-0");
    ck_assert_str_eq(name_of(item(b1, "disk.devices", 2)), "vda");
    ck_assert_str_eq(name_of(item(b1, "disk.devices", 3)), "loop0");
    const pb_value_t *sda = item(b1, "disk.devices", 0);
    ck_assert_double_eq_tol(num(sda, "reads_per_s"), 100.0, 1e-9);
    ck_assert_double_eq_tol(num(sda, "read_bytes_per_s"), 2000.0 * 512, 1e-6);
    ck_assert_double_eq_tol(num(sda, "write_bytes_per_s"), 800.0 * 512, 1e-6);
    ck_assert_double_eq_tol(num(sda, "util_pct"), 25.0, 1e-9);
    ck_assert_uint_eq(u64(sda, "read_bytes_total"), 22000ull * 512);
    /* total: sda + vda; dm-0 is stacked on sda2 and loop0 is a loop device */
    ck_assert_double_eq_tol(num(b1, "disk.total.reads_per_s"), 110.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "disk.total.writes_per_s"), 70.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "disk.total.read_bytes_per_s"), 2080.0 * 512, 1e-6);
    ck_assert_double_eq_tol(num(b1, "disk.total.write_bytes_per_s"), 960.0 * 512, 1e-6);
    ck_assert_double_eq_tol(num(b1, "disk.total.util_pct"), 37.5, 1e-9);
    ck_assert_uint_eq(u64(b1, "disk.total.reads_total"), 1100 + 30773);
    ck_assert_uint_eq(u64(b1, "disk.total.io_ms_total"), 1750 + 7856);
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    swap_done(&sw, &s);
}
END_TEST

START_TEST(network_total_leaves_out_lo)
{
    pb_test_swap_t sw;
    pb_sys_sampler_t *s = swap_sampler(&sw);
    pb_value_t *b0 = sample(s, 100 * SEC);
    pb_test_swap_to(&sw, T1);
    pb_value_t *b1 = sample(s, 101 * SEC);
    ck_assert_uint_eq(pb_value_len(pb_value_path(b1, "net.interfaces")), 3);
    const pb_value_t *lo = item(b1, "net.interfaces", 0);
    ck_assert_str_eq(name_of(lo), "lo");
    ck_assert_double_eq_tol(num(lo, "rx_bytes_per_s"), 5000.0, 1e-9);
    const pb_value_t *eth0 = item(b1, "net.interfaces", 2);
    ck_assert_str_eq(name_of(eth0), "eth0");
    ck_assert_uint_eq(u64(eth0, "rx_errors_total"), 4);
    ck_assert_double_eq_tol(num(b1, "net.total.rx_bytes_per_s"), 100000.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "net.total.tx_bytes_per_s"), 20000.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "net.total.rx_packets_per_s"), 100.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "net.total.tx_packets_per_s"), 50.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "net.total.rx_errors_per_s"), 1.0, 1e-9);
    ck_assert_double_eq_tol(num(b1, "net.total.tx_drops_per_s"), 2.0, 1e-9);
    ck_assert_uint_eq(u64(b1, "net.total.rx_bytes_total"), 29557410);
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    swap_done(&sw, &s);
}
END_TEST

START_TEST(counters_going_back_start_the_series_over)
{
    pb_test_swap_t sw;
    pb_sys_sampler_t *s = swap_sampler(&sw);
    pb_test_swap_to(&sw, T1);
    pb_value_t *b0 = sample(s, 100 * SEC);
    pb_test_swap_to(&sw, T0); /* every counter goes backwards */
    pb_value_t *b1 = sample(s, 101 * SEC);
    ck_assert(!flag(b1, "first"));
    ck_assert_ptr_null(pb_value_path(b1, "cpu.total.user_pct"));
    ck_assert_ptr_null(pb_value_path(item(b1, "cpu.cores", 0), "user_pct"));
    ck_assert_ptr_null(pb_value_path(item(b1, "disk.devices", 0), "reads_per_s"));
    ck_assert_ptr_null(pb_value_path(item(b1, "net.interfaces", 2), "rx_bytes_per_s"));
    ck_assert_ptr_null(pb_value_map_get(b1, "ctxt_per_s"));
    ck_assert_uint_eq(u64(b1, "ctxt_total"), 348343);
    pb_test_swap_to(&sw, T1); /* and from there on, rates again */
    pb_value_t *b2 = sample(s, 102 * SEC);
    ck_assert_double_eq_tol(num(b2, "cpu.total.user_pct"), 25.0, 1e-9);
    ck_assert_double_eq_tol(num(b2, "ctxt_per_s"), 5000.0, 1e-9);
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    pb_value_destroy(&b2);
    swap_done(&sw, &s);
}
END_TEST

START_TEST(same_time_twice_is_a_first)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new(T0);
    pb_value_t *b0 = sample(s, 5 * SEC);
    pb_value_t *b1 = sample(s, 5 * SEC);
    ck_assert(flag(b1, "first"));
    ck_assert_ptr_null(pb_value_path(b1, "cpu.total.user_pct"));
    pb_value_t *b2 = sample(s, 6 * SEC); /* identical files: zero deltas, 100 % idle */
    ck_assert(!flag(b2, "first"));
    ck_assert_double_eq_tol(num(b2, "cpu.total.idle_pct"), 100.0, 1e-9);
    ck_assert_double_eq_tol(num(b2, "cpu.total.busy_pct"), 0.0, 1e-9);
    ck_assert_double_eq_tol(num(b2, "disk.total.util_pct"), 0.0, 1e-9);
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    pb_value_destroy(&b2);
    pb_sys_sampler_destroy(&s);
}
END_TEST

START_TEST(old_kernel_with_fewer_columns)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new(PB_FIXTURES "/proc-old");
    pb_value_t *b = sample(s, SEC);
    ck_assert_uint_eq(u64(b, "cpu.total.user_ticks_total"), 100);
    ck_assert_uint_eq(u64(b, "cpu.total.softirq_ticks_total"), 6);
    ck_assert_uint_eq(u64(b, "cpu.total.steal_ticks_total"), 0);
    ck_assert_uint_eq(u64(b, "cpu.total.guest_ticks_total"), 0);
    ck_assert_uint_eq(u64(item(b, "cpu.cores", 1), "irq_ticks_total"), 3);
    /* no MemAvailable: available falls back to MemFree */
    ck_assert_uint_eq(u64(b, "mem.available_bytes"), u64(b, "mem.free_bytes"));
    ck_assert_uint_eq(u64(b, "disk.total.reads_total"), 10);
    ck_assert_uint_eq(u64(b, "procs.total"), 1);
    pb_value_destroy(&b);
    pb_sys_sampler_destroy(&s);
}
END_TEST

START_TEST(garbage_fails_with_a_message_then_recovers)
{
    pb_test_swap_t sw;
    pb_sys_sampler_t *s = swap_sampler(&sw);
    pb_value_t *b0 = sample(s, 100 * SEC);
    pb_test_swap_to(&sw, PB_FIXTURES "/proc-garbage");
    pb_value_t *body = NULL;
    char err[128] = "";
    ck_assert_int_eq(pb_sys_sampler_sample(s, 101 * SEC, &body, err, sizeof err), -EINVAL);
    ck_assert_ptr_null(body);
    ck_assert_msg(strstr(err, "proc/") != NULL && strstr(err, "malformed") != NULL, "err: %s", err);
    pb_test_swap_to(&sw, "/nonexistent-root");
    ck_assert_int_eq(pb_sys_sampler_sample(s, 102 * SEC, &body, err, sizeof err), -ENOENT);
    ck_assert_msg(strstr(err, "No such file") != NULL, "err: %s", err);
    pb_test_swap_to(&sw, T1); /* after a failure the next sample is a first */
    pb_value_t *b1 = sample(s, 103 * SEC);
    ck_assert(flag(b1, "first"));
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    swap_done(&sw, &s);
}
END_TEST

START_TEST(real_system_is_sane)
{
    pb_sys_sampler_t *s = pb_sys_sampler_new("");
    pb_value_t *b0 = sample(s, pb_sys_sampler_mono_ns());
    usleep(200 * 1000);
    pb_value_t *b1 = sample(s, pb_sys_sampler_mono_ns());
    ck_assert(!flag(b1, "first"));
    ck_assert_uint_eq(u64(b1, "cpu.ncpu"), (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
    double busy = num(b1, "cpu.total.busy_pct");
    ck_assert(busy >= 0.0 && busy <= 100.0);
    double sum = num(b1, "cpu.total.user_pct") + num(b1, "cpu.total.nice_pct") +
                 num(b1, "cpu.total.system_pct") + num(b1, "cpu.total.iowait_pct") +
                 num(b1, "cpu.total.irq_pct") + num(b1, "cpu.total.softirq_pct") +
                 num(b1, "cpu.total.steal_pct") + num(b1, "cpu.total.idle_pct");
    ck_assert(sum > 99.0 && sum < 100.0 + 1e-6); /* guest time is inside user */
    ck_assert(num(b1, "interval_s") > 0.15 && num(b1, "interval_s") < 5.0);
    uint64_t total = u64(b1, "mem.total_bytes");
    ck_assert(total > 0 && u64(b1, "mem.used_bytes") < total);
    ck_assert_uint_ge(u64(b1, "procs.total"), 2);
    ck_assert(num(b1, "uptime_s") > 0);
    ck_assert(num(b1, "ctxt_per_s") > 0);
    pb_value_destroy(&b0);
    pb_value_destroy(&b1);
    pb_sys_sampler_destroy(&s);
    pb_sys_sampler_destroy(&s); /* NULL: no-op */
    pb_sys_sampler_destroy(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_sampler");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, first_sample_has_counters_and_no_rates);
    tcase_add_test(tc, every_key_is_catalogued_with_its_type);
    tcase_add_test(tc, cpu_rates_follow_sar);
    tcase_add_test(tc, counter_rates_and_procs);
    tcase_add_test(tc, processes_listed_only_when_tasks_come_or_go);
    tcase_add_test(tc, memory_as_free);
    tcase_add_test(tc, boot_time_and_the_kernels_names);
    tcase_add_test(tc, pressure_fields_are_there_when_their_files_are);
    tcase_add_test(tc, link_speed_when_the_kernel_knows_it);
    tcase_add_test(tc, disks_are_whole_and_counted_once);
    tcase_add_test(tc, network_total_leaves_out_lo);
    tcase_add_test(tc, counters_going_back_start_the_series_over);
    tcase_add_test(tc, same_time_twice_is_a_first);
    tcase_add_test(tc, old_kernel_with_fewer_columns);
    tcase_add_test(tc, garbage_fails_with_a_message_then_recovers);
    tcase_add_test(tc, real_system_is_sane);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
