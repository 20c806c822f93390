// The single include point for libev. Do not define EV_* feature macros here: the system libev.so was
// built with the defaults, and changing them changes struct layouts.
#ifndef CLIBEV_H
#define CLIBEV_H
#ifndef EV_COMPAT3
#define EV_COMPAT3 0
#endif
#include <ev.h>
#endif
