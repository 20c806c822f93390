// LD_PRELOAD shim for wrk, used by scripts/bench. wrk gives no control over its TLS client, and it
// quietly resumes TLS sessions: after a `Connection: close` it calls SSL_shutdown + SSL_clear, which
// keeps the session, so every following handshake on that connection slot is a resumption. This shim
// wraps SSL_connect and, at the start of each handshake:
//   - CGB_NO_RESUME=1          drops the remembered session, so every handshake is a full one;
//   - CGB_MIN_TLS13=1          refuses anything older than TLS 1.3;
//   - CGB_CIPHERSUITES=LIST    offers only these TLS 1.3 suites (same bulk cipher for every proxy).
// When a handshake completes it counts it (full or resumed, TLS 1.3 or not, cipher), and at exit it
// appends one line `handshakes=N full=N resumed=N tls13=N cipher=NAME` to the file CGB_SHIM_OUT.
//
// Build: cc -O2 -shared -fPIC -o wrkshim.so wrkshim.c -ldl -lssl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int (*real_connect)(SSL *);
static int no_resume, min_tls13;
static const char *suites;
static atomic_long n_done, n_full, n_resumed, n_tls13;
static char cipher[64];

__attribute__((constructor)) static void shim_init(void) {
    real_connect = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
    const char *v = getenv("CGB_NO_RESUME");
    no_resume = v && *v == '1';
    v = getenv("CGB_MIN_TLS13");
    min_tls13 = v && *v == '1';
    suites = getenv("CGB_CIPHERSUITES");
    if (suites && !*suites) suites = NULL;
}

int SSL_connect(SSL *ssl) {
    if (SSL_in_before(ssl)) {
        if (no_resume) SSL_set_session(ssl, NULL);
        if (min_tls13) SSL_set_min_proto_version(ssl, TLS1_3_VERSION);
        if (suites) SSL_set_ciphersuites(ssl, suites);
    }
    int r = real_connect(ssl);
    if (r == 1) {
        atomic_fetch_add(&n_done, 1);
        if (SSL_session_reused(ssl)) atomic_fetch_add(&n_resumed, 1);
        else atomic_fetch_add(&n_full, 1);
        if (SSL_version(ssl) == TLS1_3_VERSION) atomic_fetch_add(&n_tls13, 1);
        if (!cipher[0]) {
            const char *c = SSL_get_cipher_name(ssl);
            if (c) snprintf(cipher, sizeof cipher, "%s", c);
        }
    }
    return r;
}

__attribute__((destructor)) static void shim_report(void) {
    const char *path = getenv("CGB_SHIM_OUT");
    if (!path || !*path) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "handshakes=%ld full=%ld resumed=%ld tls13=%ld cipher=%s\n", atomic_load(&n_done),
            atomic_load(&n_full), atomic_load(&n_resumed), atomic_load(&n_tls13),
            cipher[0] ? cipher : "-");
    fclose(f);
}
