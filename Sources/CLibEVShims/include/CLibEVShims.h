// libev's watcher set-up helpers are macros, which Swift cannot import. Each is wrapped here as a real
// function (in a .c file, not a header inline), named CLibEVShims_<original>.
#ifndef CLIBEV_SHIMS_H
#define CLIBEV_SHIMS_H
#ifndef EV_COMPAT3
#define EV_COMPAT3 0
#endif
#include <ev.h>

typedef void (*CLibEVShims_io_cb)(struct ev_loop *loop, ev_io *w, int revents);
typedef void (*CLibEVShims_timer_cb)(struct ev_loop *loop, ev_timer *w, int revents);
typedef void (*CLibEVShims_async_cb)(struct ev_loop *loop, ev_async *w, int revents);
typedef void (*CLibEVShims_signal_cb)(struct ev_loop *loop, ev_signal *w, int revents);
typedef void (*CLibEVShims_prepare_cb)(struct ev_loop *loop, ev_prepare *w, int revents);

struct ev_loop *CLibEVShims_ev_default_loop(unsigned int flags);
void CLibEVShims_ev_io_init(ev_io *w, CLibEVShims_io_cb cb, int fd, int events);
void CLibEVShims_ev_io_set(ev_io *w, int fd, int events);
void CLibEVShims_ev_timer_init(ev_timer *w, CLibEVShims_timer_cb cb, double after, double repeat);
void CLibEVShims_ev_timer_set(ev_timer *w, double after, double repeat);
void CLibEVShims_ev_async_init(ev_async *w, CLibEVShims_async_cb cb);
void CLibEVShims_ev_signal_init(ev_signal *w, CLibEVShims_signal_cb cb, int signum);
void CLibEVShims_ev_prepare_init(ev_prepare *w, CLibEVShims_prepare_cb cb);
int CLibEVShims_ev_is_active(const void *w);
int CLibEVShims_ev_is_pending(const void *w);

extern const int CLibEVShims_EV_READ;
extern const int CLibEVShims_EV_WRITE;
extern const int CLibEVShims_EV_TIMER;
extern const int CLibEVShims_EV_ERROR;
extern const unsigned int CLibEVShims_EVFLAG_AUTO;
extern const unsigned int CLibEVShims_EVFLAG_NOENV;
extern const int CLibEVShims_EVBREAK_ALL;

#endif
