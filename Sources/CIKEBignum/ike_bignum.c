#include "ike_bignum.h"
