#include "COpenSSLShims.h"
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

long COpenSSLShims_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
void COpenSSLShims_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) { SSL_CTX_set_read_ahead(ctx, yes); }
int COpenSSLShims_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
int COpenSSLShims_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
int COpenSSLShims_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
long COpenSSLShims_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
void COpenSSLShims_SSL_CTX_set_tlsext_servername_callback(SSL_CTX *ctx, COpenSSLShims_servername_cb cb) {
    SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
int COpenSSLShims_SSL_get_ex_new_index(void) { return SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }
void COpenSSLShims_OPENSSL_free(void *ptr) { OPENSSL_free(ptr); }

int COpenSSLShims_ERR_GET_LIB(unsigned long err) { return ERR_GET_LIB(err); }
int COpenSSLShims_ERR_GET_REASON(unsigned long err) { return ERR_GET_REASON(err); }

STACK_OF(X509) *COpenSSLShims_sk_X509_new_null(void) { return sk_X509_new_null(); }
int COpenSSLShims_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert) > 0 ? 1 : 0; }
void COpenSSLShims_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
int COpenSSLShims_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }

static int no_password(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}
EVP_PKEY *COpenSSLShims_PEM_read_bio_PrivateKey_nopass(BIO *bio) {
    return PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
}
int COpenSSLShims_ERR_is_pem_no_start_line(unsigned long err) {
    return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

struct COpenSSLShims_KeyDecoder {
    OSSL_DECODER_CTX *ctx;
    EVP_PKEY *output;
};

COpenSSLShims_KeyDecoder *COpenSSLShims_KeyDecoder_new(void) {
    COpenSSLShims_KeyDecoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) return NULL;
    decoder->ctx = OSSL_DECODER_CTX_new_for_pkey(&decoder->output, "DER", NULL, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
    if (decoder->ctx == NULL) { free(decoder); return NULL; }
    return decoder;
}

void COpenSSLShims_KeyDecoder_free(COpenSSLShims_KeyDecoder *decoder) {
    if (decoder == NULL) return;
    OSSL_DECODER_CTX_free(decoder->ctx);
    free(decoder);
}

EVP_PKEY *COpenSSLShims_KeyDecoder_decode(COpenSSLShims_KeyDecoder *decoder, const unsigned char *der, long length) {
    const unsigned char *cursor = der;
    size_t remaining = (size_t)length;
    decoder->output = NULL;
    if (OSSL_DECODER_from_data(decoder->ctx, &cursor, &remaining) != 1) {
        EVP_PKEY_free(decoder->output);
        decoder->output = NULL;
        return NULL;
    }
    EVP_PKEY *key = decoder->output;
    decoder->output = NULL;
    return key;
}

static int ends_with(const char *text, const char *suffix) {
    size_t a = strlen(text), b = strlen(suffix);
    return a >= b && strcmp(text + a - b, suffix) == 0;
}

int COpenSSLShims_find_private_key_der(const unsigned char *pem, long length, unsigned char **der, long *der_length) {
    *der = NULL;
    *der_length = 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)length);
    if (bio == NULL) return -2;
    int result = 0;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long data_length = 0;
        if (PEM_read_bio(bio, &name, &header, &data, &data_length) != 1) {
            unsigned long err = ERR_peek_last_error();
            result = (err != 0 && !COpenSSLShims_ERR_is_pem_no_start_line(err)) ? -2 : 0;
            break;
        }
        int is_key = ends_with(name, "PRIVATE KEY");
        int encrypted = strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 || (header != NULL && strstr(header, "ENCRYPTED") != NULL);
        OPENSSL_free(name);
        OPENSSL_free(header);
        if (is_key) {
            if (encrypted) {
                OPENSSL_free(data);
                result = -1;
            } else {
                *der = data;
                *der_length = data_length;
                result = 1;
            }
            break;
        }
        OPENSSL_free(data);
    }
    BIO_free(bio);
    return result;
}

int COpenSSLShims_X509_dns_names(X509 *cert, char ***out) {
    return COpenSSLShims_X509_san_names(cert, GEN_DNS, out);
}

int COpenSSLShims_X509_san_names(X509 *cert, int type, char ***out) {
    *out = NULL;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return 0;
    int total = sk_GENERAL_NAME_num(names);
    char **result = calloc((size_t)(total > 0 ? total : 1), sizeof(char *));
    int count = 0;
    for (int i = 0; result != NULL && i < total; i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        if (name->type != type || (type != GEN_DNS && type != GEN_URI)) continue;
        const ASN1_IA5STRING *value = type == GEN_DNS ? name->d.dNSName : name->d.uniformResourceIdentifier;
        const unsigned char *data = ASN1_STRING_get0_data(value);
        int length = ASN1_STRING_length(value);
        if (data == NULL || length <= 0 || memchr(data, 0, (size_t)length) != NULL) continue;
        char *copy = malloc((size_t)length + 1);
        if (copy == NULL) continue;
        memcpy(copy, data, (size_t)length);
        copy[length] = 0;
        result[count++] = copy;
    }
    GENERAL_NAMES_free(names);
    *out = result;
    return count;
}

void COpenSSLShims_free_strings(char **strings, int count) {
    if (strings == NULL) return;
    for (int i = 0; i < count; i++) free(strings[i]);
    free(strings);
}

int COpenSSLShims_X509_common_name(X509 *cert, char *buf, int size) {
    X509_NAME *subject = X509_get_subject_name(cert);
    if (subject == NULL) return -1;
    int index = -1, last = -1;
    while ((index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)) >= 0) last = index;
    if (last < 0) return -1;
    ASN1_STRING *value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last));
    unsigned char *utf8 = NULL;
    int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) return -1;
    if (length >= size || memchr(utf8, 0, (size_t)length) != NULL) { OPENSSL_free(utf8); return -1; }
    memcpy(buf, utf8, (size_t)length);
    buf[length] = 0;
    OPENSSL_free(utf8);
    return length;
}

static int asn1_time_to_epoch(const ASN1_TIME *time, int64_t *out) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (time == NULL || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
    *out = (int64_t)timegm(&tm);
    return 1;
}
int COpenSSLShims_X509_not_before(X509 *cert, int64_t *out) { return asn1_time_to_epoch(X509_get0_notBefore(cert), out); }
int COpenSSLShims_X509_not_after(X509 *cert, int64_t *out) { return asn1_time_to_epoch(X509_get0_notAfter(cert), out); }

char *COpenSSLShims_X509_serial_hex(X509 *cert) {
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    if (bn == NULL) return NULL;
    char *hex = BN_bn2hex(bn);
    BN_free(bn);
    return hex;
}

/// `name` as a one-line RFC 2253 string into buf (NUL-terminated); its length, or -1.
static int name_line(const X509_NAME *name, char *buf, int size) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return -1;
    int result = -1;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        char *data = NULL;
        long length = BIO_get_mem_data(bio, &data);
        if (length >= 0 && length < size) {
            memcpy(buf, data, (size_t)length);
            buf[length] = 0;
            result = (int)length;
        }
    }
    BIO_free(bio);
    return result;
}

int COpenSSLShims_X509_subject_line(X509 *cert, char *buf, int size) {
    return name_line(X509_get_subject_name(cert), buf, size);
}

const uint64_t COpenSSLShims_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
const uint64_t COpenSSLShims_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
const uint64_t COpenSSLShims_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
const uint64_t COpenSSLShims_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
const uint64_t COpenSSLShims_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
const long COpenSSLShims_SSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
const long COpenSSLShims_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
const long COpenSSLShims_SSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
const long COpenSSLShims_SSL_SESS_CACHE_SERVER = SSL_SESS_CACHE_SERVER;
const long COpenSSLShims_SSL_SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;

int COpenSSLShims_SSL_set1_verify_cert_store(SSL *ssl, X509_STORE *store) {
    return (int)SSL_set1_verify_cert_store(ssl, store);
}

STACK_OF(X509_NAME) *COpenSSLShims_CA_names(X509 **certs, int count) {
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    if (names == NULL) return NULL;
    for (int i = 0; i < count; i++) {
        X509_NAME *name = X509_NAME_dup(X509_get_subject_name(certs[i]));
        if (name == NULL || !sk_X509_NAME_push(names, name)) {
            X509_NAME_free(name);
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return NULL;
        }
    }
    return names;
}

void COpenSSLShims_CA_names_free(STACK_OF(X509_NAME) *names) {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
    (void)ssl;
    const unsigned char *list = arg;
    unsigned int length = ((unsigned int)list[0] << 8) | list[1];
    unsigned char *selected = NULL;
    unsigned char selected_length = 0;
    if (length == 0 || inlen == 0) return SSL_TLSEXT_ERR_NOACK;
    if (SSL_select_next_proto(&selected, &selected_length, list + 2, length, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = selected;
    *outlen = selected_length;
    return SSL_TLSEXT_ERR_OK;
}

void COpenSSLShims_SSL_CTX_set_alpn_protocols(SSL_CTX *ctx, const unsigned char *list) {
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, (void *)list);
}

int COpenSSLShims_X509_CRL_last_update(X509_CRL *crl, int64_t *out) {
    return asn1_time_to_epoch(X509_CRL_get0_lastUpdate(crl), out);
}
int COpenSSLShims_X509_CRL_next_update(X509_CRL *crl, int64_t *out) {
    return asn1_time_to_epoch(X509_CRL_get0_nextUpdate(crl), out);
}
int COpenSSLShims_X509_CRL_revoked_count(X509_CRL *crl) {
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
    return revoked == NULL ? 0 : sk_X509_REVOKED_num(revoked);
}
int COpenSSLShims_X509_CRL_issuer_line(X509_CRL *crl, char *buf, int size) {
    return name_line(X509_CRL_get_issuer(crl), buf, size);
}
int COpenSSLShims_X509_CRL_signed_by(X509_CRL *crl, X509 *cert) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(cert)) != 0) return 0;
    EVP_PKEY *key = X509_get0_pubkey(cert);
    if (key == NULL) { ERR_clear_error(); return 0; }
    int ok = X509_CRL_verify(crl, key) == 1;
    ERR_clear_error();
    if (!ok) return 0;
    return (X509_get_key_usage(cert) & KU_CRL_SIGN) ? 1 : -1;
}

int COpenSSLShims_SSL_CTX_set_ticket_key_cb(SSL_CTX *ctx, COpenSSLShims_ticket_key_cb cb) {
    return (int)SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, cb);
}

int COpenSSLShims_ticket_key_init(
    EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, const unsigned char *hmac_secret, const unsigned char *aes_key,
    unsigned char *iv, int enc) {
    if (enc && RAND_bytes(iv, 16) != 1) return -1;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(mac, hmac_secret, 32, params) != 1) return -1;
    if (EVP_CipherInit_ex(cipher, EVP_aes_256_cbc(), NULL, aes_key, iv, enc) != 1) return -1;
    return 1;
}
