// The OpenSSL floor for scripts/bench: the server-side CPU of a full TLS handshake with nothing around it
// (no sockets, no event loop, no proxying): a client and a server SSL talk over an in-memory BIO pair in
// one thread, and only the server's SSL_do_handshake calls are timed, in thread CPU time. No proxy can
// spend less per new connection than this; scripts/bench prints it beside the newconn figures.
// Based on ../shared/bench/hsfloor.c of the measurement kit, with the benchmark's exact parameters.
//
//   hsfloor CERT KEY N     N handshakes: TLS 1.3, X25519, TLS_AES_128_GCM_SHA256, the ECDSA key given,
//                          no session tickets (like a client that never resumes)
// Prints: server_us_per_handshake=U total_us_per_pair=T handshakes=N
//   U: server CPU microseconds per handshake (median of 5 batches of N/5)
//   T: wall microseconds per handshake, client and server together
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char *what) {
    fprintf(stderr, "hsfloor: %s\n", what);
    ERR_print_errors_fp(stderr);
    return 1;
}

// One handshake; adds the server's CPU seconds to *server. Returns 0 on success.
static int handshake(SSL_CTX *server_ctx, SSL_CTX *client_ctx, double *server) {
    SSL *s = SSL_new(server_ctx), *c = SSL_new(client_ctx);
    BIO *sb, *cb;
    if (!s || !c || !BIO_new_bio_pair(&sb, 0, &cb, 0)) return -1;
    SSL_set_bio(s, sb, sb);
    SSL_set_bio(c, cb, cb);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    SSL_set_tlsext_host_name(c, "bench.test");
    int server_done = 0, client_done = 0;
    for (int step = 0; step < 20 && !(server_done && client_done); step++) {
        if (!client_done && SSL_do_handshake(c) == 1) client_done = 1;
        if (!server_done) {
            double t = seconds(CLOCK_THREAD_CPUTIME_ID);
            int r = SSL_do_handshake(s);
            *server += seconds(CLOCK_THREAD_CPUTIME_ID) - t;
            if (r == 1) server_done = 1;
        }
    }
    SSL_free(s);
    SSL_free(c);
    return server_done && client_done ? 0 : -1;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4 || atoi(argv[3]) < 5) {
        fprintf(stderr, "usage: hsfloor CERT KEY N (N >= 5)\n");
        return 2;
    }
    SSL_CTX *server = SSL_CTX_new(TLS_server_method()), *client = SSL_CTX_new(TLS_client_method());
    if (!server || !client) return fail("SSL_CTX_new");
    if (!SSL_CTX_use_certificate_chain_file(server, argv[1]) ||
        !SSL_CTX_use_PrivateKey_file(server, argv[2], SSL_FILETYPE_PEM))
        return fail("cannot load the certificate or key");
    for (int i = 0; i < 2; i++) {
        SSL_CTX *ctx = i ? client : server;
        if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
            !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") || !SSL_CTX_set1_groups_list(ctx, "X25519"))
            return fail("cannot set TLS 1.3, the ciphersuite or the group");
    }
    SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(server, 0);
    int n = atoi(argv[3]), batch = n / 5;
    double batches[5], start = seconds(CLOCK_MONOTONIC);
    if (handshake(server, client, &batches[0])) return fail("handshake failed"); // warm-up, not counted
    for (int b = 0; b < 5; b++) {
        batches[b] = 0;
        for (int i = 0; i < batch; i++)
            if (handshake(server, client, &batches[b])) return fail("handshake failed");
        batches[b] = batches[b] * 1e6 / batch;
    }
    double total = (seconds(CLOCK_MONOTONIC) - start) * 1e6 / (5 * batch + 1);
    qsort(batches, 5, sizeof batches[0], compare);
    printf("server_us_per_handshake=%.1f total_us_per_pair=%.1f handshakes=%d\n", batches[2], total, 5 * batch);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    return 0;
}
