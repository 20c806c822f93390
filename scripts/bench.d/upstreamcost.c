// The proxy side's CPU cost of one upstream exchange on a fresh TCP connection (what certgate's HTTP/1
// path does for every client connection) against the same exchange on one kept-alive connection: what
// reusing upstream connections would save per new client connection (issue 13).
//
//   upstreamcost fresh|reuse N [PORT]
//
// fresh: per exchange a socket with what certgate sets on its upstream sockets (TCP_NODELAY, then
// SO_KEEPALIVE, TCP_KEEPIDLE 60, TCP_KEEPINTVL 10, TCP_KEEPCNT 6), connect, `GET /hello` with
// `Connection: close`, the response, shutdown, read to EOF, close. reuse: one connection, N requests.
// Blocking sockets, one exchange at a time, against an HTTP/1.1 server on 127.0.0.1:PORT (default
// 19080) whose /hello answer is at least 100 bytes with its head; run it pinned (`taskset -c 1`) with
// the server on another CPU. Prints this process's user and system CPU time per exchange (getrusage).
// Build: cc -O2 -o upstreamcost upstreamcost.c
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int port = 19080;

static void option(int fd, int level, int name, int value) {
    if (setsockopt(fd, level, name, &value, sizeof value) != 0) perror("setsockopt");
}

static int dial(void) {
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    option(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        perror("connect");
        exit(1);
    }
    option(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
    option(fd, IPPROTO_TCP, TCP_KEEPIDLE, 60);
    option(fd, IPPROTO_TCP, TCP_KEEPINTVL, 10);
    option(fd, IPPROTO_TCP, TCP_KEEPCNT, 6);
    return fd;
}

static double micros(struct timeval t) { return t.tv_sec * 1e6 + t.tv_usec; }

int main(int argc, char **argv) {
    if (argc < 3 || (strcmp(argv[1], "fresh") && strcmp(argv[1], "reuse"))) {
        fprintf(stderr, "usage: upstreamcost fresh|reuse N [PORT]\n");
        return 64;
    }
    int fresh = !strcmp(argv[1], "fresh"), n = atoi(argv[2]);
    if (argc > 3) port = atoi(argv[3]);
    const char *request = fresh ? "GET /hello HTTP/1.1\r\nHost: upstream\r\nConnection: close\r\n\r\n"
                                : "GET /hello HTTP/1.1\r\nHost: upstream\r\n\r\n";
    char buffer[4096];
    int fd = fresh ? -1 : dial();
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    for (int i = 0; i < n; i++) {
        if (fresh) fd = dial();
        if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0) {
            perror("send");
            return 1;
        }
        for (int got = 0; got < 100;) {
            ssize_t k = read(fd, buffer, sizeof buffer);
            if (k <= 0) {
                fprintf(stderr, "response ended after %d bytes\n", got);
                return 1;
            }
            got += (int)k;
        }
        if (fresh) {
            shutdown(fd, SHUT_WR);
            while (read(fd, buffer, sizeof buffer) > 0) {}
            close(fd);
        }
    }
    getrusage(RUSAGE_SELF, &after);
    double user = (micros(after.ru_utime) - micros(before.ru_utime)) / n;
    double sys = (micros(after.ru_stime) - micros(before.ru_stime)) / n;
    printf("mode=%s exchanges=%d user_us=%.1f sys_us=%.1f total_us=%.1f\n", argv[1], n, user, sys, user + sys);
    return 0;
}
