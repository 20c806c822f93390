// Fixed-rate TLS load generator for scripts/bench (the newconn-fixed and keepalive-fixed scenarios).
// wrk runs closed-loop and saturates the proxy, so every proxy is measured at a different rate; this
// client offers the same rate to every proxy, on an open-loop schedule: operation i is due at
// t0 + i / RATE, whatever happened to the earlier ones (a late operation's latency counts from when it
// was due, so falling behind shows up as latency and as a lower achieved rate, not as a slower schedule).
//
//   fixedrate newconn   HOST PORT PATH RATE SECONDS [MAXCONN [PIDS]]
//   fixedrate keepalive HOST PORT PATH RATE SECONDS [CONNS [PIDS]]
//
// newconn: a new TCP connection and a full TLS 1.3 handshake per operation (no session cache, so never
// a resumption), one `GET PATH` with `Connection: close`, the response read to its Content-Length, then
// close_notify and close (what wrk does). At most MAXCONN (default 1000) in flight; an operation due
// while that many are open is dropped and counted as an error.
// keepalive: CONNS (default 16) keep-alive connections are opened first; each due request goes to the
// connection idle longest; when none is idle it waits in a queue for the next one to finish.
// Client: TLS 1.3 only, TLS_AES_128_GCM_SHA256, SNI bench.test, no certificate verification (like wrk).
// Each operation is capped at 10 s. PIDS (comma-separated, e.g. the proxy's processes): their CPU time
// (utime + stime of every thread, in clock ticks) is sampled when the schedule starts, after the keep-alive
// connections are open, and 0.3 s after the last operation ended, so that set-up and tear-down are left
// out. The result is one line on stdout:
//   target_rps= seconds= scheduled= ok= errors= achieved_rps= lat_p50_ms= lat_p99_ms= lat_max_ms=
//   err_connect= err_tls= err_http= err_closed= err_timeout= err_dropped= handshakes= resumed= tls13=
//   cipher= client_cpu_s= [pid_ticks=]
// achieved_rps is ok / the longer of SECONDS and the time from the first due operation to the last
// completion; latency is from when an operation was due to its response's last byte.
//
// Build: cc -O2 -o fixedrate fixedrate.c -lssl -lcrypto
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { S_FREE, S_CONNECTING, S_HANDSHAKE, S_WRITING, S_READING, S_IDLE };
enum { E_CONNECT, E_TLS, E_HTTP, E_CLOSED, E_TIMEOUT, E_DROPPED, E_N };
static const char *err_names[E_N] = {"connect", "tls", "http", "closed", "timeout", "dropped"};

typedef struct {
    int state, fd, busy; // busy: an operation is assigned
    unsigned interest;   // the epoll events asked for
    unsigned gen;        // bumped per socket, so that a stale event for a closed one is ignored
    SSL *ssl;
    double due;          // when the current operation was due
    size_t len;          // bytes in buf
    char buf[8192];
} conn_t;

static SSL_CTX *ctx;
static struct sockaddr_in addr;
static int epfd, keepalive;
static conn_t *conns;
static int nconns;
static char req[512];
static size_t req_len;
static long errs[E_N], ok, handshakes, resumed, tls13;
static double *lat; // ms, one per completed operation
static long lat_cap;
static double last_done;
static char cipher[64];
static double *queue; // keepalive: due times waiting for an idle connection (ring)
static long q_head, q_len, q_cap;
static int *idle; // keepalive: idle connections, FIFO (ring)
static long i_head, i_len;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_interest(conn_t *c, unsigned ev) {
    if (ev == c->interest) return;
    c->interest = ev;
    struct epoll_event e = {.events = ev, .data.u64 = (uint64_t)c->gen << 32 | (uint64_t)(c - conns)};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
}

static void conn_open(conn_t *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c->len = 0;
    if (c->fd < 0) { c->state = S_FREE; errs[E_CONNECT]++; return; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->gen++;
    struct epoll_event e = {.events = EPOLLOUT, .data.u64 = (uint64_t)c->gen << 32 | (uint64_t)(c - conns)};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e);
    c->state = S_CONNECTING;
    c->interest = EPOLLOUT;
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) c->state = -1;
}

static void conn_close(conn_t *c, int graceful) {
    if (c->ssl) {
        if (graceful) SSL_shutdown(c->ssl); // close_notify, do not wait for the peer's
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = S_FREE;
    c->busy = 0;
}

static void done_op(conn_t *c, double t) {
    if (ok < lat_cap) lat[ok] = (t - c->due) * 1000;
    ok++;
    last_done = t;
    c->busy = 0;
}

static void fail(conn_t *c, int kind);
static void ka_idle(conn_t *c);

// Response complete in c->buf? 1 yes (status 200), 0 not yet, -1 bad.
static int response_complete(conn_t *c) {
    c->buf[c->len < sizeof c->buf ? c->len : sizeof c->buf - 1] = 0;
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return c->len >= sizeof c->buf - 1 ? -1 : 0;
    if (strncmp(c->buf, "HTTP/1.1 200 ", 13) && strncmp(c->buf, "HTTP/1.0 200 ", 13)) return -1;
    long clen = -1;
    for (char *p = strstr(c->buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n"))
        if (!strncasecmp(p + 2, "content-length:", 15)) clen = strtol(p + 17, NULL, 10);
    if (clen < 0) return -1;
    size_t have = c->len - (size_t)(end + 4 - c->buf);
    if (have > (size_t)clen) return -1;
    return have == (size_t)clen;
}

// Advances connection c as far as it can without blocking; ev: the epoll events that woke it (0: none).
static void step(conn_t *c, unsigned ev) {
    for (;;) {
        int r;
        switch (c->state) {
        case -1: fail(c, E_CONNECT); return;
        case S_CONNECTING: {
            if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
            int err = 0;
            socklen_t l = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
            if (err) { fail(c, E_CONNECT); return; }
            c->ssl = SSL_new(ctx);
            SSL_set_fd(c->ssl, c->fd);
            SSL_set_tlsext_host_name(c->ssl, "bench.test");
            SSL_set_connect_state(c->ssl);
            c->state = S_HANDSHAKE;
            break;
        }
        case S_HANDSHAKE:
            r = SSL_connect(c->ssl);
            if (r != 1) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ) { set_interest(c, EPOLLIN); return; }
                if (e == SSL_ERROR_WANT_WRITE) { set_interest(c, EPOLLOUT); return; }
                fail(c, E_TLS);
                return;
            }
            handshakes++;
            if (SSL_session_reused(c->ssl)) resumed++;
            if (SSL_version(c->ssl) == TLS1_3_VERSION) tls13++;
            if (!cipher[0]) snprintf(cipher, sizeof cipher, "%s", SSL_get_cipher_name(c->ssl));
            set_interest(c, EPOLLIN);
            if (!c->busy) { ka_idle(c); return; }
            c->state = S_WRITING;
            break;
        case S_WRITING:
            r = SSL_write(c->ssl, req, (int)req_len);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_WRITE) { set_interest(c, EPOLLOUT); return; }
                if (e == SSL_ERROR_WANT_READ) { set_interest(c, EPOLLIN); return; }
                fail(c, E_CLOSED);
                return;
            }
            set_interest(c, EPOLLIN);
            c->len = 0;
            c->state = S_READING;
            break;
        case S_READING:
        case S_IDLE:
            if (c->len >= sizeof c->buf - 1) { fail(c, E_HTTP); return; }
            r = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof c->buf - 1 - c->len));
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_WANT_READ) { set_interest(c, EPOLLIN); return; }
                if (e == SSL_ERROR_WANT_WRITE) { set_interest(c, EPOLLOUT); return; }
                fail(c, E_CLOSED);
                return;
            }
            if (c->state == S_IDLE) { fail(c, E_HTTP); return; } // data nobody asked for
            c->len += (size_t)r;
            int done = response_complete(c);
            if (done < 0) { fail(c, E_HTTP); return; }
            if (done) {
                done_op(c, now());
                if (!keepalive) { conn_close(c, 1); return; }
                ka_idle(c);
                return;
            }
            break;
        default: return;
        }
    }
}

// keepalive: c has nothing to do; give it the oldest queued request, or put it on the idle list.
static void ka_idle(conn_t *c) {
    c->state = S_IDLE;
    c->len = 0;
    if (q_len) {
        c->due = queue[q_head];
        q_head = (q_head + 1) % q_cap;
        q_len--;
        c->busy = 1;
        c->state = S_WRITING;
        step(c, 0);
        return;
    }
    idle[(i_head + i_len) % nconns] = (int)(c - conns);
    i_len++;
}

static void fail(conn_t *c, int kind) {
    ERR_clear_error(); // a stale error would make the next SSL_get_error lie
    if (c->busy || kind == E_CONNECT || kind == E_TLS) errs[kind]++;
    else if (c->state == S_IDLE) { // closed while idle: take it off the idle list
        errs[kind]++;
        long n = 0;
        for (long i = 0; i < i_len; i++) {
            int k = idle[(i_head + i) % nconns];
            if (k != c - conns) idle[(i_head + n++) % nconns] = k;
        }
        i_len = n;
    }
    conn_close(c, 0);
    if (keepalive && kind != E_CONNECT && kind != E_TLS) { // replace the connection; a failed request is not retried
        conn_open(c);
        step(c, 0);
    }
}

static void start_op(double due) {
    if (keepalive) {
        if (i_len) {
            conn_t *c = &conns[idle[i_head]];
            i_head = (i_head + 1) % nconns;
            i_len--;
            c->due = due;
            c->busy = 1;
            c->state = S_WRITING;
            step(c, 0);
        } else if (q_len < q_cap) {
            queue[(q_head + q_len) % q_cap] = due;
            q_len++;
        } else errs[E_DROPPED]++;
        return;
    }
    for (int i = 0; i < nconns; i++) {
        conn_t *c = &conns[i];
        if (c->state != S_FREE) continue;
        c->due = due;
        c->busy = 1;
        conn_open(c);
        step(c, 0);
        return;
    }
    errs[E_DROPPED]++;
}

// Sum of utime + stime (clock ticks) over every thread of the processes in `pids` (comma-separated).
static long pid_ticks(const char *pids) {
    long total = 0;
    char list[1024];
    snprintf(list, sizeof list, "%s", pids);
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char path[64], stat[1024];
        snprintf(path, sizeof path, "/proc/%s/task", p);
        DIR *d = opendir(path);
        if (!d) continue;
        for (struct dirent *t; (t = readdir(d));) {
            if (t->d_name[0] == '.') continue;
            char f[400];
            snprintf(f, sizeof f, "%s/%s/stat", path, t->d_name);
            FILE *fp = fopen(f, "r");
            if (!fp) continue;
            size_t n = fread(stat, 1, sizeof stat - 1, fp);
            fclose(fp);
            stat[n] = 0;
            char *r = strrchr(stat, ')'); // the command name may contain spaces
            unsigned long ut = 0, st = 0;
            if (r && sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
                total += (long)(ut + st);
        }
        closedir(d);
    }
    return total;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double p) {
    long n = ok < lat_cap ? ok : lat_cap;
    if (!n) return 0;
    long k = (long)(p * n + 0.999999) - 1;
    return lat[k < 0 ? 0 : (k >= n ? n - 1 : k)];
}

// Waits for events until `until` (monotonic seconds), with nanosecond precision where the kernel has
// epoll_pwait2; handles them.
static void poll_until(double until) {
    struct epoll_event ev[256];
    double wait = until - now();
    if (wait < 0) wait = 0;
    struct timespec ts = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (time_t)wait) * 1e9)};
    int n = epoll_pwait2(epfd, ev, 256, &ts, NULL);
    if (n < 0 && errno == ENOSYS) n = epoll_wait(epfd, ev, 256, (int)(wait * 1000 + 0.999));
    for (int i = 0; i < n; i++) {
        conn_t *c = &conns[(uint32_t)ev[i].data.u64];
        if (c->gen == (unsigned)(ev[i].data.u64 >> 32)) step(c, ev[i].events);
    }
}

int main(int argc, char **argv) {
    if (argc < 7 || (strcmp(argv[1], "newconn") && strcmp(argv[1], "keepalive"))) {
        fprintf(stderr, "usage: %s newconn|keepalive HOST PORT PATH RATE SECONDS [MAXCONN|CONNS]\n", argv[0]);
        return 2;
    }
    keepalive = !strcmp(argv[1], "keepalive");
    double rate = atof(argv[5]), secs = atof(argv[6]);
    nconns = argc > 7 ? atoi(argv[7]) : (keepalive ? 16 : 1000);
    if (rate <= 0 || secs <= 0 || nconns <= 0) { fprintf(stderr, "fixedrate: bad RATE, SECONDS or CONNS\n"); return 2; }
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) { fprintf(stderr, "fixedrate: bad HOST\n"); return 2; }
    req_len = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench.test\r\n%s\r\n", argv[4],
                               keepalive ? "" : "Connection: close\r\n");
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); // wake up on time, not up to 50 us late

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);

    long total = (long)(rate * secs + 0.5);
    lat_cap = total;
    lat = calloc((size_t)total + 1, sizeof *lat);
    conns = calloc((size_t)nconns, sizeof *conns);
    q_cap = total + 1;
    queue = calloc((size_t)q_cap, sizeof *queue);
    idle = calloc((size_t)nconns, sizeof *idle);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < nconns; i++) conns[i].fd = -1;

    if (keepalive) { // open the connections, then start the schedule
        for (int i = 0; i < nconns; i++) { conn_open(&conns[i]); step(&conns[i], 0); }
        double give_up = now() + 10;
        while (i_len < nconns && now() < give_up) poll_until(now() + 0.01);
        if (i_len < nconns) fprintf(stderr, "fixedrate: only %ld of %d connections ready\n", i_len, nconns);
        for (int k = 0; k < E_N; k++) errs[k] = 0; // setup failures are reported above, not as errors
    }

    const char *pids = argc > 8 ? argv[8] : NULL;
    long ticks0 = pids ? pid_ticks(pids) : 0;
    double t0 = now(), interval = 1 / rate;
    long i = 0;
    last_done = t0;
    while (i < total) {
        double t = now();
        while (i < total && t0 + i * interval <= t) start_op(t0 + i++ * interval);
        if (i < total) poll_until(t0 + i * interval);
        for (int k = 0; k < nconns; k++) { // 10 s cap per operation
            conn_t *c = &conns[k];
            if (c->busy && t - c->due > 10) fail(c, E_TIMEOUT);
        }
    }
    double end = now() + 10;
    for (;;) { // drain: wait for the operations in flight
        int busy = (int)q_len;
        for (int k = 0; k < nconns; k++) busy += conns[k].busy;
        if (!busy || now() > end) {
            for (int k = 0; k < nconns; k++)
                if (conns[k].busy) fail(&conns[k], E_TIMEOUT);
            errs[E_TIMEOUT] += q_len;
            break;
        }
        poll_until(now() + 0.01);
    }
    long ticks1 = 0;
    if (pids) {
        struct timespec settle = {0, 300000000}; // the proxy finishes closing what we closed
        nanosleep(&settle, NULL);
        ticks1 = pid_ticks(pids);
    }
    long nerr = 0;
    for (int k = 0; k < E_N; k++) nerr += errs[k];
    qsort(lat, (size_t)(ok < lat_cap ? ok : lat_cap), sizeof *lat, cmp_double);
    double span = last_done - t0 > secs ? last_done - t0 : secs;
    printf("target_rps=%.0f seconds=%.1f scheduled=%ld ok=%ld errors=%ld achieved_rps=%.1f lat_p50_ms=%.2f "
           "lat_p99_ms=%.2f lat_max_ms=%.2f",
           rate, secs, total, ok, nerr, ok / span, pct(0.5), pct(0.99), pct(1.0));
    for (int k = 0; k < E_N; k++) printf(" err_%s=%ld", err_names[k], errs[k]);
    printf(" handshakes=%ld resumed=%ld tls13=%ld cipher=%s", handshakes, resumed, tls13, cipher[0] ? cipher : "-");
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); // our own CPU: near 1 s per second means the generator was the limit
    printf(" client_cpu_s=%.2f", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    if (pids) printf(" pid_ticks=%ld", ticks1 - ticks0);
    printf("\n");
    for (int k = 0; k < nconns; k++)
        if (conns[k].state != S_FREE) conn_close(&conns[k], 1);
    return 0;
}
