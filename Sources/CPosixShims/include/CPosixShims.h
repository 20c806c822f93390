// GNU extensions that Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef CPOSIX_SHIMS_H
#define CPOSIX_SHIMS_H
#include <sys/socket.h>
#include <pthread.h>

/// accept4(2): accept with SOCK_NONBLOCK/SOCK_CLOEXEC set atomically.
int CPosixShims_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
/// Names the calling thread (at most 15 bytes are kept).
int CPosixShims_set_thread_name(const char *name);
#endif
