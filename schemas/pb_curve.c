/* pb_curve: loads czmq certificates, gives sockets their CURVE role and decides which binds need
 * it.
 *
 * A certificate pair is czmq's: NAME holds `curve/public-key`, NAME_secret
 * both keys, each as 40 Z85 characters in zconfig text (pyzmq's
 * zmq.auth.load_certificate reads the same lines). zcert_load gives no
 * reason when it fails, so the file is looked at first (exists, size, mode)
 * and the keys afterwards (present, secret matching its public key), each
 * failure with its own message. */
#include "pb_curve.h"

#include "pb_czmq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define S_SUFFIX     "_secret"
#define S_SUFFIX_LEN 7

static const char *s_z85_chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 ".-:+=^!/*?&<>()[]{}@%$#";

static int s_fail(char *err, size_t errlen, int rc, const char *path, const char *why)
{
    snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

static bool s_ends_secret(const char *path)
{
    size_t n = strlen(path);
    return n > S_SUFFIX_LEN && strcmp(path + n - S_SUFFIX_LEN, S_SUFFIX) == 0;
}

/* A regular file of at most PB_CURVE_FILE_MAX bytes; st gets its stat. */
static int s_check_file(const char *path, struct stat *st, char *err, size_t errlen)
{
    if (stat(path, st) < 0) {
        int rc = -errno;
        return s_fail(err, errlen, rc, path,
                      rc == -ENOENT ? "no such certificate file (perfbus keygen NAME writes one)"
                                    : strerror(-rc));
    }
    if (!S_ISREG(st->st_mode))
        return s_fail(err, errlen, -EINVAL, path, "not a regular file");
    if (st->st_size > PB_CURVE_FILE_MAX)
        return s_fail(err, errlen, -EINVAL, path, "too large for a certificate (over 64 KiB)");
    return 0;
}

/* The secret half lives in NAME_secret (or path itself when it is one). */
static int s_secret_path(char *out, size_t size, const char *path)
{
    int n = s_ends_secret(path) ? snprintf(out, size, "%s", path)
                                : snprintf(out, size, "%s%s", path, S_SUFFIX);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int s_check_mode(const char *path, const struct stat *st, char *err, size_t errlen)
{
    if ((st->st_mode & 077) == 0)
        return 0;
    snprintf(err, errlen,
             "%s: secret key file has mode %04o, open to group or other; refusing it "
             "(chmod 600 %s)",
             path, (unsigned)(st->st_mode & 07777), path);
    return -EPERM;
}

static bool s_all_zero(const uint8_t *key)
{
    for (size_t i = 0; i < 32; i++)
        if (key[i])
            return false;
    return true;
}

/* zcert_load(path) tries path_secret first; on a NAME_secret file that is
 * absent, so it reads the file itself. */
static int s_copy_keys(const pb_czmq_t *cz, pb_curve_cert_t *out, zcert_t *cert, bool want_secret,
                       const char *path, char *err, size_t errlen)
{
    snprintf(out->public_z85, sizeof out->public_z85, "%s", cz->cert_public_txt(cert));
    out->secret_z85[0] = '\0';
    if (!want_secret)
        return 0;
    if (s_all_zero(cz->cert_secret_key(cert)))
        return s_fail(err, errlen, -EINVAL, path,
                      "holds no secret-key: give the NAME_secret file of the pair");
    char derived[PB_CURVE_Z85_LEN + 1];
    snprintf(out->secret_z85, sizeof out->secret_z85, "%s", cz->cert_secret_txt(cert));
    if (zmq_curve_public(derived, out->secret_z85) < 0 || strcmp(derived, out->public_z85) != 0)
        return s_fail(err, errlen, -EINVAL, path, "its secret-key does not match its public-key");
    return 0;
}

/* One zconfig line: blank, "# comment", "name" or "name = value". */
static bool s_line_ok(const char *line)
{
    line += strspn(line, " \t");
    if (!*line || *line == '#' || *line == '\n' || *line == '\r')
        return true;
    size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "$-_@.&+/");
    if (name == 0)
        return false;
    const char *rest = line + name;
    rest += strspn(rest, " \t");
    return !*rest || *rest == '\n' || *rest == '\r' || *rest == '=' || *rest == '#';
}

bool pb_curve_file_plausible(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    bool ok = f != NULL, key = false;
    while (ok && fgets(line, sizeof line, f)) {
        ok = s_line_ok(line);
        key = key || strstr(line, "public-key") != NULL;
    }
    if (f)
        fclose(f);
    return ok && key;
}

static int s_load(pb_curve_cert_t *out, const char *path, bool want_secret, char *err,
                  size_t errlen)
{
    const pb_czmq_t *cz = pb_czmq(err, errlen);
    if (!cz)
        return -ELIBACC;
    zcert_t *cert = pb_curve_file_plausible(path) ? cz->cert_load(path) : NULL;
    if (!cert)
        return s_fail(err, errlen, -EINVAL, path,
                      "not a CURVE certificate (no curve/public-key of 40 Z85 characters)");
    int rc = s_copy_keys(cz, out, cert, want_secret, path, err, errlen);
    cz->cert_destroy(&cert);
    return rc;
}

int pb_curve_cert_load(pb_curve_cert_t *out, const char *path, char *err, size_t errlen)
{
    char secret[4096];
    struct stat st;
    if (!path || !*path)
        return s_fail(err, errlen, -EINVAL, "--curve-secret", "empty file name");
    if (s_secret_path(secret, sizeof secret, path) < 0)
        return s_fail(err, errlen, -ENAMETOOLONG, path, "file name too long");
    int rc = s_check_file(secret, &st, err, errlen);
    if (rc == -ENOENT && !s_ends_secret(path) && access(path, F_OK) == 0)
        snprintf(err, errlen,
                 "%s: no secret half %s beside it (a public certificate cannot "
                 "serve as --curve-secret)",
                 path, secret);
    if (rc == 0)
        rc = s_check_mode(secret, &st, err, errlen);
    return rc < 0 ? rc : s_load(out, secret, true, err, errlen);
}

static bool s_is_z85_key(const char *text)
{
    return strlen(text) == PB_CURVE_Z85_LEN && strspn(text, s_z85_chars) == PB_CURVE_Z85_LEN;
}

int pb_curve_server_key(char out[PB_CURVE_Z85_LEN + 1], const char *text, char *err, size_t errlen)
{
    struct stat st;
    if (!text || !*text)
        return s_fail(err, errlen, -EINVAL, "--curve-server-key", "empty");
    if (s_is_z85_key(text) && stat(text, &st) < 0) {
        uint8_t bin[32];
        if (!zmq_z85_decode(bin, text))
            return s_fail(err, errlen, -EINVAL, text, "not a Z85 key");
        snprintf(out, PB_CURVE_Z85_LEN + 1, "%s", text);
        return 0;
    }
    int rc = s_check_file(text, &st, err, errlen);
    if (rc == -ENOENT)
        snprintf(err, errlen, "%.200s: neither a certificate file nor a 40-character Z85 key",
                 text);
    pb_curve_cert_t cert;
    rc = rc < 0 ? rc : s_load(&cert, text, false, err, errlen);
    if (rc == 0)
        memcpy(out, cert.public_z85, PB_CURVE_Z85_LEN + 1);
    return rc;
}

static int s_set(void *sock, int option, const void *value, size_t len)
{
    return zmq_setsockopt(sock, option, value, len) < 0 ? -errno : 0;
}

int pb_curve_apply_server(void *sock, const pb_curve_cert_t *own)
{
    int one = 1;
    int rc = s_set(sock, ZMQ_CURVE_SERVER, &one, sizeof one);
    rc = rc ? rc : s_set(sock, ZMQ_CURVE_SECRETKEY, own->secret_z85, PB_CURVE_Z85_LEN);
    return rc ? rc : s_set(sock, ZMQ_CURVE_PUBLICKEY, own->public_z85, PB_CURVE_Z85_LEN);
}

int pb_curve_apply_client(void *sock, const pb_curve_cert_t *own, const char *server_z85)
{
    int rc = s_set(sock, ZMQ_CURVE_SERVERKEY, server_z85, PB_CURVE_Z85_LEN);
    rc = rc ? rc : s_set(sock, ZMQ_CURVE_PUBLICKEY, own->public_z85, PB_CURVE_Z85_LEN);
    return rc ? rc : s_set(sock, ZMQ_CURVE_SECRETKEY, own->secret_z85, PB_CURVE_Z85_LEN);
}

/* libzmq's documented reset: an empty ZMQ_PLAIN_USERNAME selects NULL. */
int pb_curve_apply_none(void *sock)
{
    return s_set(sock, ZMQ_PLAIN_USERNAME, NULL, 0);
}

/* The host of a tcp:// bind ("HOST:PORT", "[V6]:PORT") into out. */
static int s_tcp_host(const char *addr, char *out, size_t size)
{
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
        addr++;
        n -= 2;
    }
    if (n >= size)
        return -ENAMETOOLONG;
    memcpy(out, addr, n);
    out[n] = '\0';
    return 0;
}

static bool s_host_is_loopback(const char *host)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "lo") == 0)
        return true;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &v6) != 1)
        return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6))
        return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool pb_curve_is_local(const char *endpoint)
{
    char host[256];
    if (!endpoint)
        return false;
    if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp(endpoint, "tcp://", 6) != 0 || s_tcp_host(endpoint + 6, host, sizeof host) < 0)
        return false;
    return s_host_is_loopback(host);
}

int pb_curve_check_bind(const char *endpoint, bool curve, bool insecure, const char *what,
                        char *err, size_t errlen)
{
    if (curve || insecure || pb_curve_is_local(endpoint))
        return 0;
    snprintf(err, errlen,
             "%s: refusing to bind %.200s beyond loopback without CURVE: create keys with "
             "`perfbus keygen NAME`, then give --curve-secret NAME (this host's certificate) "
             "and --curve-allow DIR (public certificates of the allowed clients), or pass "
             "--insecure to send everything in clear text to anyone who connects",
             what, endpoint ? endpoint : "(null)");
    return -EPERM;
}

static bool s_name_ok(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n < 64 && name[0] != '.' && name[0] != '-' &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int s_paths(const char *dir, const char *name, char *pub, char *sec, size_t size)
{
    int a = snprintf(pub, size, "%s/%s", dir, name);
    int b = snprintf(sec, size, "%s/%s%s", dir, name, S_SUFFIX);
    return a < 0 || b < 0 || (size_t)a >= size || (size_t)b >= size ? -ENAMETOOLONG : 0;
}

static int s_save(const pb_czmq_t *cz, zcert_t *cert, const char *pub, const char *sec, char *err,
                  size_t errlen)
{
    if (cz->cert_save(cert, pub) < 0 || access(pub, F_OK) < 0 || access(sec, F_OK) < 0)
        return s_fail(err, errlen, errno ? -errno : -EIO, pub, "cannot write the certificate");
    if (chmod(sec, 0600) < 0) /* czmq writes it 0600 already; make sure */
        return s_fail(err, errlen, -errno, sec, "cannot set mode 0600");
    return 0;
}

int pb_curve_keygen(const char *dir, const char *name, bool force, char *public_path,
                    char *secret_path, size_t size, char public_z85[PB_CURVE_Z85_LEN + 1],
                    char *err, size_t errlen)
{
    struct stat st;
    if (!s_name_ok(name))
        return s_fail(err, errlen, -EINVAL, name,
                      "NAME must be 1 to 63 letters, digits, '_', '.' or '-', not starting with "
                      "'.' or '-'");
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return s_fail(err, errlen, -ENOTDIR, dir, "not a directory");
    if (s_paths(dir, name, public_path, secret_path, size) < 0)
        return s_fail(err, errlen, -ENAMETOOLONG, dir, "path too long");
    const char *exists = access(public_path, F_OK) == 0   ? public_path
                         : access(secret_path, F_OK) == 0 ? secret_path
                                                          : NULL;
    if (exists && !force)
        return s_fail(err, errlen, -EEXIST, exists, "exists; pass --force to replace the pair");
    const pb_czmq_t *cz = pb_czmq(err, errlen);
    if (!cz)
        return -ELIBACC;
    zcert_t *cert = cz->cert_new();
    if (!cert)
        return s_fail(err, errlen, -ENOMEM, name, "cannot generate a key pair");
    cz->cert_set_meta(cert, "name", "%s", name);
    errno = 0;
    int rc = s_save(cz, cert, public_path, secret_path, err, errlen);
    snprintf(public_z85, PB_CURVE_Z85_LEN + 1, "%s", cz->cert_public_txt(cert));
    cz->cert_destroy(&cert);
    return rc;
}
