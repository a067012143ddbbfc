/* Check suite for pb_proc_select: the watch list, comm patterns and their bounds, top N and all. */
#include "pb_proc_select.h"

#include "pb_json.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Seven (.*) groups, then their back-references in reverse: exponential for a
 * backtracking matcher (POSIX regexec took 10-17 s per 15-byte comm). */
#define BACKREF "(.*)(.*)(.*)(.*)(.*)(.*)(.*)\\7\\6\\5\\4\\3\\2\\1"
/* 19 bytes of nested counted repetition: regcomp grew to gigabytes. */
#define NESTED "x{1,32767}{1,32767}"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long max_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t matches_run(const pb_proc_select_t *sel)
{
    pb_proc_select_stats_t st;
    pb_proc_select_stats(sel, &st);
    return st.matches_run;
}

static void assert_describes(const pb_proc_select_t *sel, const char *json)
{
    pb_value_t *v = pb_proc_select_describe(sel);
    ck_assert_ptr_nonnull(v);
    char *got = pb_json_encode(v, 0);
    ck_assert_str_eq(got, json);
    free(got);
    pb_value_destroy(&v);
}

START_TEST(pids_stay_sorted_and_unique)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    ck_assert(!pb_proc_select_needs_listing(sel)); /* only pids: no need to list /proc */
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 300), 0);
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 2), 0);
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 4321), 0);
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 300), 0);
    ck_assert_uint_eq(pb_proc_select_npids(sel), 3);
    const uint32_t *pids = pb_proc_select_pids(sel);
    ck_assert_uint_eq(pids[0], 2);
    ck_assert_uint_eq(pids[1], 300);
    ck_assert_uint_eq(pids[2], 4321);
    ck_assert(pb_proc_select_wants(sel, 300, 0, "anything", NULL));
    ck_assert(!pb_proc_select_wants(sel, 301, 0, "anything", NULL));
    ck_assert_int_eq(pb_proc_select_remove_pid(sel, 300), 0);
    ck_assert_int_eq(pb_proc_select_remove_pid(sel, 300), -ENOENT);
    ck_assert(!pb_proc_select_wants(sel, 300, 0, "anything", NULL));
    for (uint32_t p = 1000; p < 1100; p++) /* grows */
        ck_assert_int_eq(pb_proc_select_add_pid(sel, p), 0);
    ck_assert_uint_eq(pb_proc_select_npids(sel), 102);
    pb_proc_select_destroy(&sel);
    ck_assert_ptr_null(sel);
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(regexes_match_comm)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    char err[128] = "";
    ck_assert_int_eq(pb_proc_select_add_match(sel, "^(nginx|postgres)$", err, sizeof err), 0);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "odd", err, sizeof err), 0);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "odd", err, sizeof err), 0); /* once */
    ck_assert(pb_proc_select_needs_listing(sel));
    ck_assert(pb_proc_select_wants(sel, 1, 0, "nginx", NULL));
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "nginx-worker", NULL));
    ck_assert(pb_proc_select_wants(sel, 1, 0, "my (odd) proc", NULL)); /* unanchored */
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "bash", NULL));
    ck_assert_int_eq(pb_proc_select_add_match(sel, "a[", err, sizeof err), -EINVAL);
    ck_assert_msg(strlen(err) > 0, "regerror message expected");
    ck_assert_int_eq(pb_proc_select_add_match(sel, "(", err, sizeof err), -EINVAL);
    assert_describes(sel, "{\"pids\":[],\"matches\":[\"^(nginx|postgres)$\",\"odd\"],\"top\":0,"
                          "\"all\":false}");
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "^(nginx|postgres)$"), 0);
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "^(nginx|postgres)$"), -ENOENT);
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "nginx", NULL));
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "odd"), 0);
    ck_assert(!pb_proc_select_needs_listing(sel));
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(top_and_all)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    pb_proc_select_set_top(sel, 5);
    ck_assert_uint_eq(pb_proc_select_top(sel), 5);
    ck_assert(pb_proc_select_needs_listing(sel));
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "x", NULL)); /* top N is ranked by the sampler */
    pb_proc_select_set_top(sel, 0);
    pb_proc_select_set_all(sel, true);
    ck_assert(pb_proc_select_wants(sel, 12345, 0, "x", NULL));
    ck_assert_int_eq(pb_proc_select_add_pid(sel, 7), 0);
    assert_describes(sel, "{\"pids\":[7],\"matches\":[],\"top\":0,\"all\":true}");
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(backreference_pattern_is_bounded)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    char err[256] = "";
    ck_assert_int_eq(pb_proc_select_add_match(sel, BACKREF, err, sizeof err), 0);
    const char *comms[] = {"abcdefghijklmno", "kworker/12:1H-k", "xxxxxxxxxxxxxxx",
                           "systemd-journal", "postgres: walwr", "0123456789abcde"};
    double t0 = cpu_s();
    for (int round = 0; round < 5; round++)
        for (size_t i = 0; i < sizeof comms / sizeof comms[0]; i++)
            ck_assert(!pb_proc_select_wants(sel, 100 + (uint32_t)i, 0, comms[i], NULL));
    double spent = cpu_s() - t0;
    ck_assert_msg(spent < 1.0, "30 matches took %.3f s of CPU", spent);
    pb_proc_select_stats_t st;
    pb_proc_select_stats(sel, &st);
    ck_assert_uint_eq(st.matches_run, 30);
    ck_assert_uint_eq(st.limit_hits, 30); /* stopped by the limit: counted, no match */
    ck_assert(pb_proc_select_wants(sel, 1, 0, "", NULL)); /* a short comm still matches */
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(nested_repetition_is_refused_fast_without_growth)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    char err[256] = "";
    long rss0 = max_rss_kib();
    double t0 = cpu_s();
    ck_assert_int_eq(pb_proc_select_add_match(sel, NESTED, err, sizeof err), -EINVAL);
    ck_assert_msg(strstr(err, "offset") != NULL, "reason with its place expected: %s", err);
    /* the same in a group that PCRE2 accepts as syntax: refused for its size */
    err[0] = '\0';
    ck_assert_int_eq(pb_proc_select_add_match(sel, "(?:x{1,32767}){1,32767}", err, sizeof err),
                     -E2BIG);
    ck_assert_msg(strlen(err) > 0, "a reason expected");
    err[0] = '\0';
    ck_assert_int_eq(
        pb_proc_select_add_match(sel, "(?:(?:(?:(?:a?){9}){9}){9}){9}", err, sizeof err),
        -E2BIG); /* compiles, but to 56 KiB */
    ck_assert_msg(strstr(err, "at most 16384") != NULL, "the bound named: %s", err);
    double spent = cpu_s() - t0;
    long grown = max_rss_kib() - rss0;
    ck_assert_msg(spent < 0.5, "refusing took %.3f s of CPU", spent);
    ck_assert_msg(grown < 8 * 1024, "peak RSS grew by %ld KiB", grown);
    ck_assert(!pb_proc_select_needs_listing(sel)); /* nothing was added */
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(caps_on_count_and_length)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    char err[256] = "", pattern[64];
    for (int i = 0; i < PB_PROC_SELECT_MAX_MATCHES; i++) {
        snprintf(pattern, sizeof pattern, "^svc%d$", i);
        ck_assert_int_eq(pb_proc_select_add_match(sel, pattern, err, sizeof err), 0);
    }
    ck_assert_int_eq(pb_proc_select_add_match(sel, "^one-too-many$", err, sizeof err), -ENOSPC);
    ck_assert_msg(strstr(err, "32") != NULL, "the cap named: %s", err);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "^svc7$", err, sizeof err),
                     0); /* already there */
    ck_assert(pb_proc_select_wants(sel, 1, 0, "svc31", NULL));
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "^svc0$"), 0);
    char longest[PB_PROC_SELECT_MAX_PATTERN + 2];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0'; /* 128 bytes */
    ck_assert_int_eq(pb_proc_select_add_match(sel, longest, err, sizeof err), -E2BIG);
    ck_assert_msg(strstr(err, "127") != NULL, "the bound named: %s", err);
    longest[PB_PROC_SELECT_MAX_PATTERN] = '\0'; /* 127 bytes fit */
    ck_assert_int_eq(pb_proc_select_add_match(sel, longest, err, sizeof err), 0);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "", err, sizeof err), -ENOSPC);
    ck_assert_int_eq(pb_proc_select_remove_match(sel, longest), 0);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "", err, sizeof err), -EINVAL);
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(verdict_memo_rematches_only_on_change)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    pb_proc_select_memo_t memo = {0};
    char err[256] = "";
    ck_assert_int_eq(pb_proc_select_add_match(sel, "^worker", err, sizeof err), 0);
    ck_assert(pb_proc_select_wants(sel, 40, 7, "worker-1", &memo));
    ck_assert_uint_eq(matches_run(sel), 1);
    for (int i = 0; i < 10; i++) /* steady: no matching at all */
        ck_assert(pb_proc_select_wants(sel, 40, 7, "worker-1", &memo));
    ck_assert_uint_eq(matches_run(sel), 1);
    ck_assert(!pb_proc_select_wants(sel, 40, 7, "renamed", &memo)); /* comm changed */
    ck_assert_uint_eq(matches_run(sel), 2);
    ck_assert(!pb_proc_select_wants(sel, 40, 7, "renamed", &memo));
    ck_assert_uint_eq(matches_run(sel), 2);
    ck_assert(pb_proc_select_wants(sel, 40, 9, "worker-2", &memo)); /* pid reused */
    ck_assert_uint_eq(matches_run(sel), 3);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "^other$", err, sizeof err), 0);
    ck_assert(pb_proc_select_wants(sel, 40, 9, "worker-2", &memo)); /* patterns changed */
    ck_assert_uint_eq(matches_run(sel), 4);
    ck_assert_int_eq(pb_proc_select_remove_match(sel, "^worker"), 0);
    ck_assert(!pb_proc_select_wants(sel, 40, 9, "worker-2", &memo));
    ck_assert_uint_eq(matches_run(sel), 5);
    pb_proc_select_destroy(&sel);
}
END_TEST

START_TEST(comm_bytes_that_are_not_utf8)
{
    pb_proc_select_t *sel = pb_proc_select_new();
    char err[256] = "";
    ck_assert_int_eq(pb_proc_select_add_match(sel, "busy$", err, sizeof err), 0);
    ck_assert_int_eq(pb_proc_select_add_match(sel, "^caf\\x{e9}", err, sizeof err), 0);
    ck_assert(pb_proc_select_wants(sel, 1, 0, "\xff\xfe busy", NULL));
    ck_assert(pb_proc_select_wants(sel, 1, 0, "café au lait", NULL));
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "caf\xe9", NULL));  /* Latin-1 é is not é */
    ck_assert(!pb_proc_select_wants(sel, 1, 0, "\xe2\x82", NULL)); /* a cut character */
    ck_assert_int_eq(pb_proc_select_add_match(sel, "\xff", err, sizeof err), -EINVAL);
    ck_assert_msg(strstr(err, "UTF-8") != NULL, "the reason: %s", err);
    pb_proc_select_destroy(&sel);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_proc_select");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pids_stay_sorted_and_unique);
    tcase_add_test(tc, regexes_match_comm);
    tcase_add_test(tc, top_and_all);
    tcase_add_test(tc, backreference_pattern_is_bounded);
    tcase_add_test(tc, nested_repetition_is_refused_fast_without_growth);
    tcase_add_test(tc, caps_on_count_and_length);
    tcase_add_test(tc, verdict_memo_rematches_only_on_change);
    tcase_add_test(tc, comm_bytes_that_are_not_utf8);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
