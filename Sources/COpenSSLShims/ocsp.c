// OCSP stapling: checking a DER OCSP response against a certificate and its issuer, and the macros that
// install a staple on a handshake.
#include "COpenSSLShims.h"
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

void COpenSSLShims_SSL_CTX_set_tlsext_status_cb(SSL_CTX *ctx, COpenSSLShims_status_cb cb) {
    SSL_CTX_set_tlsext_status_cb(ctx, cb);
}

int COpenSSLShims_SSL_staple_ocsp_response(SSL *ssl, const unsigned char *der, long length) {
    if (length <= 0) return 0;
    unsigned char *copy = OPENSSL_malloc((size_t)length);
    if (copy == NULL) return 0;
    memcpy(copy, der, (size_t)length);
    // OpenSSL owns `copy` from here on and frees it with the connection.
    if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, length) != 1) {
        OPENSSL_free(copy);
        return 0;
    }
    return 1;
}

static int generalized_time_to_epoch(const ASN1_GENERALIZEDTIME *time, int64_t *out) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (time == NULL || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
    *out = (int64_t)timegm(&tm);
    return 1;
}

int COpenSSLShims_OCSP_check(const unsigned char *der, long length, X509 *leaf, X509 *issuer,
                             int64_t *this_update, int64_t *next_update) {
    int result = COPENSSL_SHIMS_OCSP_INTERNAL;
    OCSP_RESPONSE *response = NULL;
    OCSP_BASICRESP *basic = NULL;
    OCSP_CERTID *id = NULL;
    X509_STORE *store = NULL;
    STACK_OF(X509) *signers = NULL;
    const unsigned char *cursor = der;

    response = d2i_OCSP_RESPONSE(NULL, &cursor, length);
    if (response == NULL || cursor != der + length) { result = COPENSSL_SHIMS_OCSP_UNPARSABLE; goto done; }
    if (OCSP_response_status(response) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        result = COPENSSL_SHIMS_OCSP_NOT_SUCCESSFUL;
        goto done;
    }
    basic = OCSP_response_get1_basic(response);
    if (basic == NULL) { result = COPENSSL_SHIMS_OCSP_UNPARSABLE; goto done; }

    id = OCSP_cert_to_id(NULL, leaf, issuer);
    if (id == NULL) goto done;
    int status = -1, reason = 0;
    ASN1_GENERALIZEDTIME *revoked = NULL, *this_time = NULL, *next_time = NULL;
    if (OCSP_resp_find_status(basic, id, &status, &reason, &revoked, &this_time, &next_time) != 1) {
        result = COPENSSL_SHIMS_OCSP_NOT_FOR_CERTIFICATE;
        goto done;
    }

    // Signed by the issuer itself, or by a responder the issuer delegated to (OCSP signing EKU, issued
    // directly by it): OpenSSL checks both once the issuer is the only trust anchor. The issuer is
    // usually an intermediate, hence a partial chain.
    store = X509_STORE_new();
    signers = sk_X509_new_null();
    if (store == NULL || signers == NULL || X509_STORE_add_cert(store, issuer) != 1) goto done;
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    if (sk_X509_push(signers, issuer) <= 0) goto done;
    if (OCSP_basic_verify(basic, signers, store, 0) != 1) {
        result = COPENSSL_SHIMS_OCSP_BAD_SIGNATURE;
        goto done;
    }

    if (!generalized_time_to_epoch(this_time, this_update)) { result = COPENSSL_SHIMS_OCSP_UNPARSABLE; goto done; }
    if (next_time == NULL) {
        result = COPENSSL_SHIMS_OCSP_NO_NEXT_UPDATE;
        goto done;
    }
    if (!generalized_time_to_epoch(next_time, next_update)) { result = COPENSSL_SHIMS_OCSP_UNPARSABLE; goto done; }
    switch (status) {
    case V_OCSP_CERTSTATUS_GOOD: result = COPENSSL_SHIMS_OCSP_GOOD; break;
    case V_OCSP_CERTSTATUS_REVOKED: result = COPENSSL_SHIMS_OCSP_REVOKED; break;
    default: result = COPENSSL_SHIMS_OCSP_UNKNOWN_STATUS; break;
    }

done:
    // The stack holds a borrowed pointer: free the stack only.
    sk_X509_free(signers);
    X509_STORE_free(store);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(response);
    return result;
}

long COpenSSLShims_OCSP_request_der(X509 *leaf, X509 *issuer, unsigned char **out) {
    long length = -1;
    *out = NULL;
    OCSP_REQUEST *request = OCSP_REQUEST_new();
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, issuer);
    if (request == NULL || id == NULL) goto done;
    // On success the request owns the id.
    if (OCSP_request_add0_id(request, id) == NULL) goto done;
    id = NULL;
    int written = i2d_OCSP_REQUEST(request, out);
    if (written > 0) length = written;
done:
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(request);
    return length;
}

char *COpenSSLShims_OCSP_responder_url(X509 *leaf) {
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(leaf);
    char *result = NULL;
    if (urls != NULL && sk_OPENSSL_STRING_num(urls) > 0) {
        result = OPENSSL_strdup(sk_OPENSSL_STRING_value(urls, 0));
    }
    X509_email_free(urls);
    return result;
}

void COpenSSLShims_free(void *pointer) { OPENSSL_free(pointer); }
