// OpenSSL 3 macros and small helpers Swift cannot import or use directly, wrapped as real functions (in a
// .c file, not header inlines) and named COpenSSLShims_<original>. SSL_OP_* flags are built with
// SSL_OP_BIT(n), which the importer cannot evaluate, so they are exported as constants.
#ifndef COPENSSL_SHIMS_H
#define COPENSSL_SHIMS_H
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

typedef int (*COpenSSLShims_servername_cb)(SSL *ssl, int *alert, void *arg);

// MARK: SSL_CTX configuration macros
long COpenSSLShims_SSL_CTX_set_mode(SSL_CTX *ctx, long mode);
void COpenSSLShims_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes);
int COpenSSLShims_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
int COpenSSLShims_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version);
int COpenSSLShims_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list);
long COpenSSLShims_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode);
void COpenSSLShims_SSL_CTX_set_tlsext_servername_callback(SSL_CTX *ctx, COpenSSLShims_servername_cb cb);
int COpenSSLShims_SSL_get_ex_new_index(void);
void COpenSSLShims_OPENSSL_free(void *ptr);

// MARK: Error codes
/// ERR_GET_LIB / ERR_GET_REASON (header inlines in OpenSSL 3): the library and reason of a packed error
/// code, so errors are told apart by code, never by their text.
int COpenSSLShims_ERR_GET_LIB(unsigned long err);
int COpenSSLShims_ERR_GET_REASON(unsigned long err);

// MARK: Certificate chains (STACK_OF(X509))
STACK_OF(X509) *COpenSSLShims_sk_X509_new_null(void);
/// Takes ownership of `cert` on success (returns 1).
int COpenSSLShims_sk_X509_push(STACK_OF(X509) *stack, X509 *cert);
/// Frees the stack and every certificate in it.
void COpenSSLShims_sk_X509_pop_free(STACK_OF(X509) *stack);
int COpenSSLShims_sk_X509_num(const STACK_OF(X509) *stack);

// MARK: PEM
/// Reads the next private key from `bio`; never prompts for a passphrase (encrypted keys fail).
EVP_PKEY *COpenSSLShims_PEM_read_bio_PrivateKey_nopass(BIO *bio);
/// 1 when the most recent error on the queue is "no (more) PEM data", i.e. the end of the input.
int COpenSSLShims_ERR_is_pem_no_start_line(unsigned long err);

// MARK: Fast private-key decoding
/// OpenSSL 3.0 builds a decoder context (an expensive search through every provider's decoders) for each
/// PEM_read_bio_PrivateKey call: ~400 us per key. A KeyDecoder builds it once and reuses it (~50 us per
/// key). Not thread-safe: one per thread.
typedef struct COpenSSLShims_KeyDecoder COpenSSLShims_KeyDecoder;
COpenSSLShims_KeyDecoder *COpenSSLShims_KeyDecoder_new(void);
void COpenSSLShims_KeyDecoder_free(COpenSSLShims_KeyDecoder *decoder);
/// Decodes one DER private key (PKCS#8 or a type-specific structure). NULL on failure (error queue set).
EVP_PKEY *COpenSSLShims_KeyDecoder_decode(COpenSSLShims_KeyDecoder *decoder, const unsigned char *der, long length);
/// Finds the first PEM block whose label ends in "PRIVATE KEY" and returns its DER bytes in *der (free with
/// COpenSSLShims_OPENSSL_free). Returns 1 when found, 0 when there is none, -1 when it is encrypted, -2
/// when the PEM data itself is damaged.
int COpenSSLShims_find_private_key_der(const unsigned char *pem, long length, unsigned char **der, long *der_length);

// MARK: X509 inspection
/// DNS subjectAltName entries as newly allocated NUL-terminated strings. Returns the count (>= 0); free
/// the array with COpenSSLShims_free_strings. Entries with embedded NULs are skipped.
int COpenSSLShims_X509_dns_names(X509 *cert, char ***out);
/// Like COpenSSLShims_X509_dns_names for subjectAltName entries of `type` (GEN_DNS or GEN_URI).
int COpenSSLShims_X509_san_names(X509 *cert, int type, char ***out);
void COpenSSLShims_free_strings(char **strings, int count);
/// The subject's (last) commonName as UTF-8 into buf; returns its length, or -1 when there is none.
int COpenSSLShims_X509_common_name(X509 *cert, char *buf, int size);
/// notBefore / notAfter as seconds since the epoch; 1 on success.
int COpenSSLShims_X509_not_before(X509 *cert, int64_t *out);
int COpenSSLShims_X509_not_after(X509 *cert, int64_t *out);
/// Serial number as upper-case hex; free with COpenSSLShims_OPENSSL_free. NULL on failure.
char *COpenSSLShims_X509_serial_hex(X509 *cert);
/// The subject as a one-line RFC 2253 string into buf; returns its length or -1.
int COpenSSLShims_X509_subject_line(X509 *cert, char *buf, int size);

// MARK: Constants
extern const uint64_t COpenSSLShims_SSL_OP_NO_COMPRESSION;
extern const uint64_t COpenSSLShims_SSL_OP_NO_RENEGOTIATION;
extern const uint64_t COpenSSLShims_SSL_OP_CIPHER_SERVER_PREFERENCE;
extern const uint64_t COpenSSLShims_SSL_OP_IGNORE_UNEXPECTED_EOF;
extern const uint64_t COpenSSLShims_SSL_OP_NO_TICKET;
extern const long COpenSSLShims_SSL_MODE_ENABLE_PARTIAL_WRITE;
extern const long COpenSSLShims_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
extern const long COpenSSLShims_SSL_MODE_RELEASE_BUFFERS;
extern const long COpenSSLShims_SSL_SESS_CACHE_SERVER;
extern const long COpenSSLShims_SSL_SESS_CACHE_OFF;

/// SSL_set1_verify_cert_store (a macro): the trust store for verifying this connection's client
/// certificate; takes its own reference.
int COpenSSLShims_SSL_set1_verify_cert_store(SSL *ssl, X509_STORE *store);
/// The subject names of `certs` as a new STACK_OF(X509_NAME) (the CertificateRequest's CA list).
STACK_OF(X509_NAME) *COpenSSLShims_CA_names(X509 **certs, int count);
void COpenSSLShims_CA_names_free(STACK_OF(X509_NAME) *names);

/// Server-preference ALPN: `list` is a 2-byte big-endian length followed by the protocols in wire format
/// (each one length byte + name), most preferred first; it must outlive `ctx`. A client offering none of
/// them gets no ALPN answer (the handshake goes on without ALPN), as with haproxy.
void COpenSSLShims_SSL_CTX_set_alpn_protocols(SSL_CTX *ctx, const unsigned char *list);

// MARK: Certificate revocation lists
/// lastUpdate / nextUpdate as seconds since the epoch; 1 on success, 0 when absent (nextUpdate is optional).
int COpenSSLShims_X509_CRL_last_update(X509_CRL *crl, int64_t *out);
int COpenSSLShims_X509_CRL_next_update(X509_CRL *crl, int64_t *out);
/// Number of revoked entries (sk_X509_REVOKED_num is a macro).
int COpenSSLShims_X509_CRL_revoked_count(X509_CRL *crl);
/// The issuer as a one-line RFC 2253 string into buf; returns its length or -1.
int COpenSSLShims_X509_CRL_issuer_line(X509_CRL *crl, char *buf, int size);
/// 1 when `cert`'s subject is the CRL's issuer and its public key verifies the CRL's signature; -1 when it
/// does but its keyUsage extension does not allow cRLSign (OpenSSL would refuse the CRL); 0 otherwise.
int COpenSSLShims_X509_CRL_signed_by(X509_CRL *crl, X509 *cert);

// MARK: Session ticket keys
/// SSL_CTX_set_tlsext_ticket_key_evp_cb's callback (OpenSSL 3: EVP_MAC for the HMAC).
typedef int (*COpenSSLShims_ticket_key_cb)(
    SSL *ssl, unsigned char *key_name, unsigned char *iv, EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int enc);
/// SSL_CTX_set_tlsext_ticket_key_evp_cb (a macro); 1 on success.
int COpenSSLShims_SSL_CTX_set_ticket_key_cb(SSL_CTX *ctx, COpenSSLShims_ticket_key_cb cb);
/// Sets up one ticket's protection inside that callback: HMAC-SHA256 under the 32-byte `hmac_secret` on
/// `mac`, AES-256-CBC under the 32-byte `aes_key` on `cipher`. When `enc` is 1 it first fills the 16-byte
/// `iv` with random bytes; when 0 `iv` is the ticket's. 1 on success, -1 on failure.
int COpenSSLShims_ticket_key_init(
    EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, const unsigned char *hmac_secret, const unsigned char *aes_key,
    unsigned char *iv, int enc);

// MARK: OCSP stapling (ocsp.c)
typedef int (*COpenSSLShims_status_cb)(SSL *ssl, void *arg);
/// SSL_CTX_set_tlsext_status_cb: on a server, called per handshake whose client sent status_request,
/// after the certificate is chosen.
void COpenSSLShims_SSL_CTX_set_tlsext_status_cb(SSL_CTX *ctx, COpenSSLShims_status_cb cb);
/// Copies `der` into an OPENSSL_malloc'd buffer and hands it to SSL_set_tlsext_status_ocsp_resp (OpenSSL
/// frees it). 1 on success.
int COpenSSLShims_SSL_staple_ocsp_response(SSL *ssl, const unsigned char *der, long length);

/// The DER OCSP request (one CERTID from `leaf` and `issuer`, SHA-1 as responders expect) in a buffer
/// the caller frees with COpenSSLShims_free; its length, or -1 on failure.
long COpenSSLShims_OCSP_request_der(X509 *leaf, X509 *issuer, unsigned char **out);
/// The first OCSP responder URL of `leaf`'s AIA extension, NUL-terminated, in a buffer the caller frees
/// with COpenSSLShims_free; NULL when it has none.
char *COpenSSLShims_OCSP_responder_url(X509 *leaf);
/// OPENSSL_free.
void COpenSSLShims_free(void *pointer);

#define COPENSSL_SHIMS_OCSP_GOOD 0
#define COPENSSL_SHIMS_OCSP_UNPARSABLE 1
#define COPENSSL_SHIMS_OCSP_NOT_SUCCESSFUL 2
#define COPENSSL_SHIMS_OCSP_NOT_FOR_CERTIFICATE 3
#define COPENSSL_SHIMS_OCSP_BAD_SIGNATURE 4
#define COPENSSL_SHIMS_OCSP_NO_NEXT_UPDATE 5
#define COPENSSL_SHIMS_OCSP_REVOKED 6
#define COPENSSL_SHIMS_OCSP_UNKNOWN_STATUS 7
#define COPENSSL_SHIMS_OCSP_INTERNAL 8
/// Checks a DER OCSP response for `leaf` issued by `issuer`: it parses (nothing after it), is
/// successful, has a single response for this certificate and issuer (OCSP_CERTID), and is signed by the
/// issuer or a responder it delegated to. Returns one of COPENSSL_SHIMS_OCSP_*; thisUpdate and nextUpdate
/// (seconds since the epoch) are set for GOOD, REVOKED and UNKNOWN_STATUS. Leaves the error queue for the
/// caller to clear.
int COpenSSLShims_OCSP_check(const unsigned char *der, long length, X509 *leaf, X509 *issuer,
                             int64_t *this_update, int64_t *next_update);

#endif
