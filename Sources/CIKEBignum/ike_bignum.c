/*
 * MODP Diffie-Hellman for IKEv2 (RFC 7296 2.12, 3.4) on OpenSSL's BIGNUM.
 *
 * Primes: OpenSSL's built-in copies of the RFC 2409 section 6.2 (group 2,
 * 1024-bit) and RFC 3526 section 3 (group 14, 2048-bit) primes; generator 2.
 * The tests cross-check results against Python's pow() with the primes typed
 * in from the RFCs, so a wrong constant here would show.
 *
 * Side channels: the private exponent is marked BN_FLG_CONSTTIME and the
 * exponentiation uses BN_mod_exp_mont_consttime; temporaries holding secrets
 * are freed with BN_clear_free and a secure BN_CTX.
 */
#include "ike_bignum.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

static BIGNUM *group_prime(int group)
{
    switch (group) {
    case 2:  return BN_get_rfc2409_prime_1024(NULL);
    case 14: return BN_get_rfc3526_prime_2048(NULL);
    default: return NULL;
    }
}

size_t ike_modp_prime_length(int group)
{
    switch (group) {
    case 2:  return 128;
    case 14: return 256;
    default: return 0;
    }
}

/* result = base^priv mod p; base must already be reduced. */
static int mod_exp(const BIGNUM *base, const uint8_t *priv, size_t priv_len,
                   const BIGNUM *p, uint8_t *out, size_t out_len)
{
    int rc = IKE_BN_ERR_INTERNAL;
    BN_CTX *ctx = BN_CTX_secure_new();
    BN_MONT_CTX *mont = BN_MONT_CTX_new();
    BIGNUM *x = BN_secure_new();
    BIGNUM *r = BN_secure_new();
    if (ctx == NULL || mont == NULL || x == NULL || r == NULL)
        goto done;
    if (BN_bin2bn(priv, (int)priv_len, x) == NULL)
        goto done;
    BN_set_flags(x, BN_FLG_CONSTTIME);
    if (BN_is_zero(x) || BN_is_one(x)) {
        rc = IKE_BN_ERR_PRIVATE;
        goto done;
    }
    if (!BN_MONT_CTX_set(mont, p, ctx))
        goto done;
    if (!BN_mod_exp_mont_consttime(r, base, x, p, ctx, mont))
        goto done;
    if (BN_bn2binpad(r, out, (int)out_len) != (int)out_len)
        goto done;
    rc = IKE_BN_OK;
done:
    BN_clear_free(r);
    BN_clear_free(x);
    BN_MONT_CTX_free(mont);
    BN_CTX_free(ctx);
    return rc;
}

int ike_modp_public_value(int group, const uint8_t *priv, size_t priv_len,
                          uint8_t *out, size_t out_len)
{
    size_t plen = ike_modp_prime_length(group);
    if (plen == 0)
        return IKE_BN_ERR_GROUP;
    if (out_len != plen || priv_len == 0 || priv_len > plen)
        return IKE_BN_ERR_LENGTH;
    BIGNUM *p = group_prime(group);
    BIGNUM *g = BN_new();
    int rc = IKE_BN_ERR_INTERNAL;
    if (p != NULL && g != NULL && BN_set_word(g, 2))
        rc = mod_exp(g, priv, priv_len, p, out, out_len);
    BN_free(g);
    BN_free(p);
    return rc;
}

int ike_modp_shared_secret(int group, const uint8_t *priv, size_t priv_len,
                           const uint8_t *peer, size_t peer_len,
                           uint8_t *out, size_t out_len)
{
    size_t plen = ike_modp_prime_length(group);
    if (plen == 0)
        return IKE_BN_ERR_GROUP;
    if (out_len != plen || peer_len != plen || priv_len == 0 || priv_len > plen)
        return IKE_BN_ERR_LENGTH;
    int rc = IKE_BN_ERR_INTERNAL;
    BIGNUM *p = group_prime(group);
    BIGNUM *y = BN_new();
    BIGNUM *pm1 = BN_new();
    if (p == NULL || y == NULL || pm1 == NULL)
        goto done;
    if (BN_bin2bn(peer, (int)peer_len, y) == NULL || BN_copy(pm1, p) == NULL || !BN_sub_word(pm1, 1))
        goto done;
    /* RFC 6989 section 2.1: for safe-prime MODP groups checking 1 < y < p-1
     * is enough; it rules out the small subgroup {1, p-1} and 0. */
    if (BN_is_zero(y) || BN_is_one(y) || BN_cmp(y, pm1) >= 0) {
        rc = IKE_BN_ERR_PEER;
        goto done;
    }
    rc = mod_exp(y, priv, priv_len, p, out, out_len);
done:
    BN_free(pm1);
    BN_free(y);
    BN_free(p);
    return rc;
}

int ike_random_bytes(uint8_t *out, size_t len)
{
    if (len > (size_t)INT32_MAX)
        return IKE_BN_ERR_LENGTH;
    return RAND_priv_bytes(out, (int)len) == 1 ? IKE_BN_OK : IKE_BN_ERR_INTERNAL;
}

void ike_secure_zero(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

int ike_constant_time_equal(const void *a, const void *b, size_t len)
{
    if (len == 0)
        return 1;
    return CRYPTO_memcmp(a, b, len) == 0;
}
