/*
 * check.h — the assertion macro of the server-less unit tests.
 */
#ifndef QRPAY_TEST_CHECK_H
#define QRPAY_TEST_CHECK_H

#include <stdio.h>

extern int	passed,
		failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) passed++; \
		else { failed++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			   fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
	} while (0)

#endif
