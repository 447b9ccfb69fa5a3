#include "fastpath.h"
int fp_placeholder(void){return 0;}
