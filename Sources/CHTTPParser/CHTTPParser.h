// The single include point for Debian's libhttp-parser (nodejs/http-parser 2.9.4, package
// libhttp-parser-dev; no pkg-config file, hence `link "http_parser"` in the module map).
#ifndef CERTGATE_CHTTPPARSER_H
#define CERTGATE_CHTTPPARSER_H
#include <http_parser.h>
#endif
