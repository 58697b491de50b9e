/*
 * qr_emv.h — EMVCo MPM validation entry point, internal to src/core
 * (callers use qr_validate, which checks UTF-8 and dispatches by format).
 */
#ifndef QR_EMV_H
#define QR_EMV_H

#include "qrpay_core.h"

/*
 * [high_first, high_last): the span of the payload's bytes >= 0x80, as
 * qr_high_span gives it; both are len when there is none, and then bytes
 * are characters.
 */
extern qr_errcode qr_emv_validate(const char *buf, size_t len,
								  size_t high_first, size_t high_last,
								  qr_error *err, qr_finding_fn report,
								  void *report_arg);

#endif							/* QR_EMV_H */
