// The single include point for Debian's libnghttp2 (1.52.0, package libnghttp2-dev): HTTP/2 framing,
// HPACK, flow control and stream state. certgate uses its server session with mem_recv/mem_send.
#ifndef CERTGATE_CNGHTTP2_H
#define CERTGATE_CNGHTTP2_H
#include <nghttp2/nghttp2.h>
#endif
