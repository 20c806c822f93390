// What choosing the certificate costs in the ClientHello callback, two ways (issue 13, step 3): OpenSSL
// calls on a fresh server `SSL`, N times, for counting under callgrind, and what one prebuilt context
// per certificate costs up front.
//
//   certctx ssl      N PEM   SSL_new + SSL_free only (the baseline to subtract)
//   certctx use      N PEM   ... + SSL_use_cert_and_key (what certgate does per handshake)
//   certctx switch   N PEM   ... + SSL_set_SSL_CTX to a context built once with the certificate
//   certctx prebuild N PEM   builds N contexts (SSL_CTX_new + SSL_CTX_use_cert_and_key), prints the CPU
//                            time and heap per context
//
// PEM holds the certificate and its key. Per call: (Ir(use or switch) - Ir(ssl)) / N, e.g.
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null ./certctx use 2000 bench.pem 2>&1 | grep refs
// Build: cc -O2 -o certctx certctx.c -lssl -lcrypto
#include <malloc.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int prebuild(int n, X509 *cert, EVP_PKEY *key) {
    SSL_CTX_free(SSL_CTX_new(TLS_server_method())); // one-time library set-up is not per context
    struct mallinfo2 m0 = mallinfo2();
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    SSL_CTX **all = calloc(n, sizeof *all);
    for (int i = 0; i < n; i++) {
        all[i] = SSL_CTX_new(TLS_server_method());
        if (all[i] == NULL || SSL_CTX_use_cert_and_key(all[i], cert, key, NULL, 1) != 1) return 2;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    struct mallinfo2 m1 = mallinfo2();
    double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n;
    printf("contexts=%d cpu_us_per_context=%.1f heap_bytes_per_context=%.0f\n", n, us,
           (double)(m1.uordblks - m0.uordblks) / n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: certctx ssl|use|switch|prebuild N PEM\n");
        return 64;
    }
    const char *mode = argv[1];
    int n = atoi(argv[2]);
    FILE *f = fopen(argv[3], "r");
    if (f == NULL) {
        perror(argv[3]);
        return 1;
    }
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    rewind(f);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    if (cert == NULL || key == NULL) {
        fprintf(stderr, "%s: no certificate and key\n", argv[3]);
        return 1;
    }
    if (!strcmp(mode, "prebuild")) return prebuild(n, cert, key);
    int use = !strcmp(mode, "use"), swap = !strcmp(mode, "switch");
    if (!use && !swap && strcmp(mode, "ssl")) {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 64;
    }
    SSL_CTX *base = SSL_CTX_new(TLS_server_method());
    SSL_CTX *prebuilt = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_cert_and_key(prebuilt, cert, key, NULL, 1) != 1) return 2;
    for (int i = 0; i < n; i++) {
        SSL *ssl = SSL_new(base);
        if (use && SSL_use_cert_and_key(ssl, cert, key, NULL, 1) != 1) return 2;
        if (swap && SSL_set_SSL_CTX(ssl, prebuilt) == NULL) return 3;
        SSL_free(ssl);
    }
    return 0;
}
