/* Check suite for pb_curve: certificate files good and bad, socket roles, keygen, the bind rule. */
#include "pb_curve.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static char s_dir[64];

static void s_setup(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/pbcurve-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s_dir));
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void s_write(const char *name, const char *text, mode_t mode)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* Makes DIR/name and DIR/name_secret; fills path (DIR/name) and the key. */
static void s_keygen(const char *name, char *path, char *key)
{
    char pub[256], sec[256], err[256] = "";
    ck_assert_int_eq(
        pb_curve_keygen(s_dir, name, false, pub, sec, sizeof pub, key, err, sizeof err), 0);
    snprintf(path, 256, "%s", pub);
}

START_TEST(keygen_writes_a_pair_and_refuses_to_overwrite)
{
    char pub[256], sec[256], key[41], again[41], err[256] = "";
    ck_assert_int_eq(
        pb_curve_keygen(s_dir, "host1", false, pub, sec, sizeof pub, key, err, sizeof err), 0);
    struct stat st;
    ck_assert_int_eq(stat(sec, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(pub, &st), 0);
    ck_assert_uint_eq(strlen(key), 40);
    ck_assert_int_eq(
        pb_curve_keygen(s_dir, "host1", false, pub, sec, sizeof pub, again, err, sizeof err),
        -EEXIST);
    ck_assert_ptr_nonnull(strstr(err, "--force"));
    ck_assert_int_eq(
        pb_curve_keygen(s_dir, "host1", true, pub, sec, sizeof pub, again, err, sizeof err), 0);
    ck_assert_str_ne(key, again);
    ck_assert_int_eq(
        pb_curve_keygen(s_dir, "../x", false, pub, sec, sizeof pub, key, err, sizeof err), -EINVAL);
    ck_assert_int_eq(
        pb_curve_keygen("/nonexistent-dir", "a", false, pub, sec, sizeof pub, key, err, sizeof err),
        -ENOTDIR);
}
END_TEST

START_TEST(loads_a_pair_by_either_name)
{
    char path[256], key[41], err[256] = "", secret[300];
    s_keygen("a", path, key);
    pb_curve_cert_t cert;
    ck_assert_int_eq(pb_curve_cert_load(&cert, path, err, sizeof err), 0);
    ck_assert_str_eq(cert.public_z85, key);
    ck_assert_uint_eq(strlen(cert.secret_z85), 40);
    snprintf(secret, sizeof secret, "%s_secret", path);
    pb_curve_cert_t again;
    ck_assert_int_eq(pb_curve_cert_load(&again, secret, err, sizeof err), 0);
    ck_assert_str_eq(again.secret_z85, cert.secret_z85);
    char server[41];
    ck_assert_int_eq(pb_curve_server_key(server, path, err, sizeof err), 0);
    ck_assert_str_eq(server, key);
    ck_assert_int_eq(pb_curve_server_key(server, key, err, sizeof err), 0);
    ck_assert_str_eq(server, key);
}
END_TEST

START_TEST(refuses_bad_files_with_reasons)
{
    char path[256], key[41], err[512] = "", secret[300];
    pb_curve_cert_t cert;
    snprintf(path, sizeof path, "%s/missing", s_dir);
    ck_assert_int_eq(pb_curve_cert_load(&cert, path, err, sizeof err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "missing_secret"));
    s_write("junk_secret", "hello world\nthis is = not a cert\n", 0600);
    snprintf(path, sizeof path, "%s/junk", s_dir);
    ck_assert_int_eq(pb_curve_cert_load(&cert, path, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a CURVE certificate"));
    s_keygen("open", path, key);
    snprintf(secret, sizeof secret, "%s_secret", path);
    chmod(secret, 0644);
    ck_assert_int_eq(pb_curve_cert_load(&cert, path, err, sizeof err), -EPERM);
    ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
    /* a public certificate alone, renamed as if it were the secret one */
    s_keygen("pub", path, key);
    snprintf(secret, sizeof secret, "%s_secret", path);
    unlink(secret);
    ck_assert_int_eq(pb_curve_cert_load(&cert, path, err, sizeof err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "no secret half"));
    ck_assert_int_eq(rename(path, secret), 0);
    ck_assert_int_eq(chmod(secret, 0600), 0);
    ck_assert_int_eq(pb_curve_cert_load(&cert, secret, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "no secret-key"));
    char server[41];
    ck_assert_int_lt(pb_curve_server_key(server, "not-a-key", err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "Z85"));
    ck_assert_int_lt(pb_curve_server_key(server, "", err, sizeof err), 0);
}
END_TEST

START_TEST(secret_not_matching_its_public_key)
{
    char a[256], b[256], ka[41], kb[41], err[256] = "";
    s_keygen("a", a, ka);
    s_keygen("b", b, kb);
    /* a's secret file with b's public key line: the pair does not match */
    char sec_a[300], text[1024];
    snprintf(sec_a, sizeof sec_a, "%s_secret", a);
    FILE *f = fopen(sec_a, "r");
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *at = strstr(text, ka);
    ck_assert_ptr_nonnull(at);
    memcpy(at, kb, 40);
    s_write("a_secret", text, 0600);
    pb_curve_cert_t cert;
    ck_assert_int_eq(pb_curve_cert_load(&cert, a, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "does not match"));
}
END_TEST

START_TEST(bind_rule_table)
{
    static const struct {
        const char *ep;
        bool local;
    } table[] = {
        {"tcp://127.0.0.1:7710", true},
        {"tcp://127.1.2.3:1", true},
        {"tcp://[::1]:7710", true},
        {"tcp://localhost:7710", true},
        {"tcp://lo:7710", true},
        {"ipc:///tmp/x", true},
        {"inproc://x", true},
        {"tcp://[::ffff:127.0.0.1]:1", true},
        {"tcp://0.0.0.0:7710", false},
        {"tcp://*:7710", false},
        {"tcp://eth0:7710", false},
        {"tcp://10.0.0.2:7710", false},
        {"tcp://192.168.1.1:7710", false},
        {"tcp://[::]:7710", false},
        {"tcp://[fe80::1]:7710", false},
        {"udp://127.0.0.1:1", false},
        {"ws://127.0.0.1:1", false},
        {"tcp://128.0.0.1:1", false},
        {"tcp://localhost.evil.com:1", false},
    };
    char err[512];
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        ck_assert_msg(pb_curve_is_local(table[i].ep) == table[i].local, "%s", table[i].ep);
        int rc = pb_curve_check_bind(table[i].ep, false, false, "test", err, sizeof err);
        ck_assert_int_eq(rc, table[i].local ? 0 : -EPERM);
        ck_assert_int_eq(pb_curve_check_bind(table[i].ep, true, false, "t", err, sizeof err), 0);
        ck_assert_int_eq(pb_curve_check_bind(table[i].ep, false, true, "t", err, sizeof err), 0);
    }
    pb_curve_check_bind("tcp://0.0.0.0:1", false, false, "perfbusd --pub", err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "perfbus keygen"));
    ck_assert_ptr_nonnull(strstr(err, "--curve-secret"));
    ck_assert_ptr_nonnull(strstr(err, "--curve-allow"));
    ck_assert_ptr_nonnull(strstr(err, "--insecure"));
    ck_assert(!pb_curve_is_local(NULL));
}
END_TEST

/* A CURVE REP server and REQ client with the loaded keys talk; with the
 * wrong server key they do not. No ZAP handler: any client key is admitted. */
START_TEST(roles_make_sockets_talk)
{
    char s_path[256], c_path[256], o_path[256], sk[41], ck[41], ok[41], err[256] = "";
    s_keygen("srv", s_path, sk);
    s_keygen("cli", c_path, ck);
    s_keygen("oth", o_path, ok);
    pb_curve_cert_t srv, cli;
    ck_assert_int_eq(pb_curve_cert_load(&srv, s_path, err, sizeof err), 0);
    ck_assert_int_eq(pb_curve_cert_load(&cli, c_path, err, sizeof err), 0);
    void *ctx = zmq_ctx_new(), *rep = zmq_socket(ctx, ZMQ_REP);
    int linger = 0, timeout = 300;
    zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq(pb_curve_apply_server(rep, &srv), 0);
    ck_assert_int_eq(zmq_bind(rep, "tcp://127.0.0.1:*"), 0);
    char ep[64];
    size_t len = sizeof ep;
    zmq_getsockopt(rep, ZMQ_LAST_ENDPOINT, ep, &len);
    for (int round = 0; round < 2; round++) {
        void *req = zmq_socket(ctx, ZMQ_REQ);
        zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        ck_assert_int_eq(pb_curve_apply_client(req, &cli, round == 0 ? sk : ok), 0);
        zmq_connect(req, ep);
        zmq_send(req, "hi", 2, 0);
        char buf[8];
        int n = zmq_recv(rep, buf, sizeof buf, round == 0 ? 0 : ZMQ_DONTWAIT);
        if (round == 0) {
            ck_assert_int_eq(n, 2);
            zmq_send(rep, "ok", 2, 0);
            ck_assert_int_eq(zmq_recv(req, buf, sizeof buf, 0), 2);
        } else {
            ck_assert_int_eq(zmq_recv(req, buf, sizeof buf, 0), -1); /* wrong server key */
        }
        zmq_close(req);
    }
    void *plain = zmq_socket(ctx, ZMQ_REQ);
    ck_assert_int_eq(pb_curve_apply_client(plain, &cli, sk), 0);
    ck_assert_int_eq(pb_curve_apply_none(plain), 0);
    int mech = -1;
    len = sizeof mech;
    zmq_getsockopt(plain, ZMQ_MECHANISM, &mech, &len);
    ck_assert_int_eq(mech, ZMQ_NULL);
    zmq_close(plain);
    zmq_close(rep);
    zmq_ctx_term(ctx);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pb_curve");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, keygen_writes_a_pair_and_refuses_to_overwrite);
    tcase_add_test(tc, loads_a_pair_by_either_name);
    tcase_add_test(tc, refuses_bad_files_with_reasons);
    tcase_add_test(tc, secret_not_matching_its_public_key);
    tcase_add_test(tc, bind_rule_table);
    tcase_add_test(tc, roles_make_sockets_talk);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? 1 : 0;
}
