/* pb_curve: CURVE certificates (czmq's zcert files), socket roles, the allow directory and the
 * bind rule. */
#ifndef PB_CURVE_H
#define PB_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_CURVE_Z85_LEN 40 /* a 32-byte key as Z85 text */
/* A certificate file larger than this is not one (czmq's are ~400 bytes). */
#define PB_CURVE_FILE_MAX 65536

/* A key pair as Z85 text; secret is "" when only the public half was loaded.
 * A plain value: copy it freely. */
typedef struct {
    char public_z85[PB_CURVE_Z85_LEN + 1];
    char secret_z85[PB_CURVE_Z85_LEN + 1];
} pb_curve_cert_t;

/* Loads a process's own certificate for --curve-secret: path is the pair's
 * NAME (its NAME_secret beside it is read) or the NAME_secret file itself, as
 * `perfbus keygen` or pyzmq's zmq.auth.create_certificates write them. The
 * secret file must not be readable or writable by group or other (a copied
 * secret lets anyone be this host): such a file is refused, like ssh refuses
 * a private key. Returns 0, or -ENOENT / -EACCES / -EPERM (mode) / -EINVAL
 * (not a certificate, no secret key, keys that do not match) with a message
 * naming the file in err. */
int pb_curve_cert_load(pb_curve_cert_t *out, const char *path, char *err, size_t errlen);

/* True when path reads as a zconfig certificate: each line blank, a comment,
 * a bare name or `name = value`, and a public-key among them. czmq's
 * zconfig_load leaks on a syntax error and logs it on stderr, so files are
 * screened with this before zcert_load sees them. */
bool pb_curve_file_plausible(const char *path);

/* A server's public key for a client: text is either 40 Z85 characters or a
 * certificate file (public or secret; only the public key is taken). out gets
 * the Z85 key. Returns 0 or a negative errno with a message in err. */
int pb_curve_server_key(char out[PB_CURVE_Z85_LEN + 1], const char *text, char *err, size_t errlen);

/* Makes sock a CURVE server with own's keys (ZMQ_CURVE_SERVER, SECRETKEY,
 * PUBLICKEY). Call before binding. 0 or negative errno. */
int pb_curve_apply_server(void *sock, const pb_curve_cert_t *own);

/* Makes the next connects of sock CURVE clients of the server whose public
 * key is server_z85, with own's keys. Call before each zmq_connect: libzmq
 * copies the options per connection. 0 or negative errno. */
int pb_curve_apply_client(void *sock, const pb_curve_cert_t *own, const char *server_z85);

/* Turns the next connects of sock back to the NULL mechanism (no CURVE). */
int pb_curve_apply_none(void *sock);

/* True for endpoints that only this machine can reach: tcp:// on 127.0.0.0/8,
 * [::1], localhost or the lo interface; ipc:// and inproc://. A wildcard
 * (tcp:// then *), 0.0.0.0, an interface name, any other address or transport is not. */
bool pb_curve_is_local(const char *endpoint);

/* The bind rule: a socket bound beyond loopback must use CURVE. Returns 0
 * when endpoint is local, curve is on or insecure was given; otherwise
 * -EPERM with a message in err saying how to configure CURVE. what names the
 * socket ("perfbusd --pub"). */
int pb_curve_check_bind(const char *endpoint, bool curve, bool insecure, const char *what,
                        char *err, size_t errlen);

/* Writes a new certificate pair DIR/NAME (public) and DIR/NAME_secret (mode
 * 0600) with czmq's zcert_save; name is 1..63 of [A-Za-z0-9_.-]. Refuses to
 * overwrite either file unless force. Fills the two paths (size bytes each)
 * and the public key. 0, or -EEXIST / -EINVAL / errno with err set. */
int pb_curve_keygen(const char *dir, const char *name, bool force, char *public_path,
                    char *secret_path, size_t size, char public_z85[PB_CURVE_Z85_LEN + 1],
                    char *err, size_t errlen);

#endif
