#include "CLibEVShims.h"

struct ev_loop *CLibEVShims_ev_default_loop(unsigned int flags) { return ev_default_loop(flags); }
void CLibEVShims_ev_io_init(ev_io *w, CLibEVShims_io_cb cb, int fd, int events) { ev_io_init(w, cb, fd, events); }
void CLibEVShims_ev_io_set(ev_io *w, int fd, int events) { ev_io_set(w, fd, events); }
void CLibEVShims_ev_timer_init(ev_timer *w, CLibEVShims_timer_cb cb, double after, double repeat) {
    ev_timer_init(w, cb, after, repeat);
}
void CLibEVShims_ev_timer_set(ev_timer *w, double after, double repeat) { ev_timer_set(w, after, repeat); }
void CLibEVShims_ev_async_init(ev_async *w, CLibEVShims_async_cb cb) { ev_async_init(w, cb); }
void CLibEVShims_ev_signal_init(ev_signal *w, CLibEVShims_signal_cb cb, int signum) { ev_signal_init(w, cb, signum); }
void CLibEVShims_ev_prepare_init(ev_prepare *w, CLibEVShims_prepare_cb cb) { ev_prepare_init(w, cb); }
int CLibEVShims_ev_is_active(const void *w) { return ev_is_active((const ev_watcher *)w); }
int CLibEVShims_ev_is_pending(const void *w) { return ev_is_pending((const ev_watcher *)w); }

const int CLibEVShims_EV_READ = EV_READ;
const int CLibEVShims_EV_WRITE = EV_WRITE;
const int CLibEVShims_EV_TIMER = EV_TIMER;
const int CLibEVShims_EV_ERROR = EV_ERROR;
const unsigned int CLibEVShims_EVFLAG_AUTO = EVFLAG_AUTO;
const unsigned int CLibEVShims_EVFLAG_NOENV = EVFLAG_NOENV;
const int CLibEVShims_EVBREAK_ALL = EVBREAK_ALL;
