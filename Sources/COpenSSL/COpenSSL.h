// The single include point for OpenSSL 3.
#ifndef CERTGATE_COPENSSL_H
#define CERTGATE_COPENSSL_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#endif
