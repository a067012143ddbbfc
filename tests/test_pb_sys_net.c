/* Check suite for pb_sys_net: /proc/net/dev lines. */
#include "pb_sys_net.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

START_TEST(parses_interface_lines)
{
    pb_sys_net_t n;
    const char *line = "  eth0: 29457410    1171    3    1    0     0          0         0    "
                       " 81563    1059    0    7    0     0       0          0\n";
    ck_assert_int_eq(pb_sys_net_parse_line(line, &n), 0);
    ck_assert_str_eq(n.name, "eth0");
    ck_assert_uint_eq(n.counters[PB_NET_RX_BYTES], 29457410);
    ck_assert_uint_eq(n.counters[PB_NET_RX_PACKETS], 1171);
    ck_assert_uint_eq(n.counters[PB_NET_RX_ERRORS], 3);
    ck_assert_uint_eq(n.counters[PB_NET_RX_DROPS], 1);
    ck_assert_uint_eq(n.counters[PB_NET_TX_BYTES], 81563);
    ck_assert_uint_eq(n.counters[PB_NET_TX_PACKETS], 1059);
    ck_assert_uint_eq(n.counters[PB_NET_TX_ERRORS], 0);
    ck_assert_uint_eq(n.counters[PB_NET_TX_DROPS], 7);
    /* a big counter runs into the colon */
    ck_assert_int_eq(
        pb_sys_net_parse_line("enp3s0:123456789012 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n", &n), 0);
    ck_assert_str_eq(n.name, "enp3s0");
    ck_assert_uint_eq(n.counters[PB_NET_RX_BYTES], 123456789012ull);
}
END_TEST

START_TEST(link_speed_in_bytes_per_second)
{
    uint64_t b = 0;
    ck_assert_int_eq(pb_sys_net_parse_speed("1000\n", &b), 0);
    ck_assert_uint_eq(b, 125000000);
    ck_assert_int_eq(pb_sys_net_parse_speed("25000", &b), 0);
    ck_assert_uint_eq(b, 3125000000ull);
    ck_assert_int_eq(pb_sys_net_parse_speed("-1\n", &b), -ENOENT); /* unknown (no link) */
    ck_assert_int_eq(pb_sys_net_parse_speed("0\n", &b), -ENOENT);
    ck_assert_int_eq(pb_sys_net_parse_speed("", &b), -ENOENT);
    ck_assert_int_eq(pb_sys_net_parse_speed("fast\n", &b), -EINVAL);
    ck_assert_int_eq(pb_sys_net_parse_speed("100 Mb\n", &b), -EINVAL);
    ck_assert_int_eq(pb_sys_net_parse_speed("9223372036854775807\n", &b), -EINVAL);
}
END_TEST

START_TEST(headers_and_garbage)
{
    pb_sys_net_t n;
    ck_assert_int_eq(pb_sys_net_parse_line("Inter-|   Receive    |  Transmit\n", &n), -ENOENT);
    ck_assert_int_eq(pb_sys_net_parse_line(" face |bytes    packets|bytes\n", &n), -ENOENT);
    const char *bad[] = {"", "  eth0 1 2 3\n", "  eth0: 1 2 3\n",
                         ": 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6\n",
                         "  eth0: 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(pb_sys_net_parse_line(bad[i], &n) == -EINVAL, "accepted: %s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pb_sys_net");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_interface_lines);
    tcase_add_test(tc, headers_and_garbage);
    tcase_add_test(tc, link_speed_in_bytes_per_second);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
