int fp_placeholder(void);
