#ifndef IKE_BIGNUM_H
#define IKE_BIGNUM_H
/* OpenSSL bignum helpers for the IKEv2 MODP groups. Placeholder. */
#endif
