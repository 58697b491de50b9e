/*
 * qr_emv.h — EMVCo MPM validation entry point, internal to src/core
 * (callers use qr_validate, which checks UTF-8 and dispatches by format).
 */
#ifndef QR_EMV_H
#define QR_EMV_H

#include "qrpay_core.h"

/* ascii: the caller found no byte >= 0x80, so bytes are characters */
extern qr_errcode qr_emv_validate(const char *buf, size_t len, int ascii,
								  qr_error *err, qr_finding_fn report,
								  void *report_arg);

#endif							/* QR_EMV_H */
