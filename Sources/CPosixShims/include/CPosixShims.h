// GNU extensions that Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef CPOSIX_SHIMS_H
#define CPOSIX_SHIMS_H
#include <sys/socket.h>
#include <pthread.h>
#include <stdint.h>

/// accept4(2): accept with SOCK_NONBLOCK/SOCK_CLOEXEC set atomically.
int CPosixShims_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
/// Names the calling thread (at most 15 bytes are kept).
int CPosixShims_set_thread_name(const char *name);

/// The fields of a file's status that tell whether it was replaced or rewritten.
struct CPosixShims_file_status {
    uint64_t device;
    uint64_t inode;
    int64_t size;
    int64_t modified_nanoseconds;
    int64_t changed_nanoseconds;
};
/// statx(2) of `path` (following symlinks) asking only for inode, size, mtime and ctime; stat(2) where
/// the kernel has no statx. Returns 0, or -1 with errno set.
int CPosixShims_file_status(const char *path, struct CPosixShims_file_status *status);
/// Whether `path` lies on a network or FUSE file system (NFS, SMB/CIFS, Ceph, 9p, AFS, FUSE, ...), where
/// inotify does not see changes made by other machines or by the FUSE server: 1 yes, 0 no, -1 with errno
/// when statfs(2) fails.
int CPosixShims_is_remote_filesystem(const char *path);
#endif
