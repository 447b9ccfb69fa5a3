#ifndef IKE_BIGNUM_H
#define IKE_BIGNUM_H
/*
 * A small C face over OpenSSL's libcrypto for the IKEv2 crypto target.
 *
 * Why C: swift-crypto has no finite-field Diffie-Hellman, so the MODP groups
 * (RFC 2409 group 2, RFC 3526 group 14) use OpenSSL's BIGNUM. The header
 * exposes only plain (pointer, length) functions so that no OpenSSL type
 * leaks into Swift; all BIGNUMs live and die inside one call.
 *
 * Also here: zeroing that the compiler cannot elide (for the Swift secret
 * wrapper), a constant-time comparison and the private-exponent RNG.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of the ike_modp_* and ike_random_bytes functions. */
enum {
    IKE_BN_OK = 0,
    IKE_BN_ERR_GROUP = -1,   /* not MODP group 2 or 14 */
    IKE_BN_ERR_LENGTH = -2,  /* an input or output buffer has the wrong length */
    IKE_BN_ERR_PEER = -3,    /* peer value outside 1 < y < p-1 (RFC 7296 2.12, RFC 6989) */
    IKE_BN_ERR_PRIVATE = -4, /* private exponent is 0 or 1 */
    IKE_BN_ERR_INTERNAL = -5 /* OpenSSL failed (allocation, RNG) */
};

/* Octets of the prime (and so of public values and shared secrets) of a
 * MODP group: 128 for group 2, 256 for group 14, 0 for any other group. */
size_t ike_modp_prime_length(int group);

/* out = 2^priv mod p, big-endian, left-padded with zeros to the prime length
 * (the KE payload format of RFC 7296 3.4). priv is a big-endian exponent. */
int ike_modp_public_value(int group,
                          const uint8_t *priv, size_t priv_len,
                          uint8_t *out, size_t out_len);

/* out = peer^priv mod p, padded to the prime length (RFC 7296 2.14: g^ir is
 * "padded with zeros if necessary to make it the length of the modulus").
 * peer must be exactly the prime length and satisfy 1 < peer < p-1. */
int ike_modp_shared_secret(int group,
                           const uint8_t *priv, size_t priv_len,
                           const uint8_t *peer, size_t peer_len,
                           uint8_t *out, size_t out_len);

/* Fills out with bytes from OpenSSL's private DRBG (RAND_priv_bytes). */
int ike_random_bytes(uint8_t *out, size_t len);

/* Zeroes len bytes at p in a way the optimiser may not remove (OPENSSL_cleanse). */
void ike_secure_zero(void *p, size_t len);

/* 1 when the len bytes at a and b are equal, else 0; time depends only on len
 * (CRYPTO_memcmp). */
int ike_constant_time_equal(const void *a, const void *b, size_t len);

#ifdef __cplusplus
}
#endif
#endif
