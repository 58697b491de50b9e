--
-- Every rendered file read back by its reader (qr_statement_wechat,
-- qr_statement_alipay, qr_statement_csv through the UnionPay mapping):
-- each line is the statement line it was made from, none is unreadable.
--
CREATE TABLE month_read AS
SELECT f.id AS file, r.error,
       month_read_text(r.provider, r.provider_txn, r.reference, r.ts, r.amount, r.fee, r.status,
                       r.refund_reference, r.refund_amount) AS line
FROM month_files f
CROSS JOIN month_unionpay_mapping m
CROSS JOIN LATERAL (
    SELECT * FROM qr_statement_wechat(convert_from(substr(f.file, CASE WHEN f.bom THEN 4 ELSE 1 END), 'UTF8'))
     WHERE f.provider = 'wechatpay'
    UNION ALL
    SELECT * FROM qr_statement_alipay(f.file) WHERE f.provider = 'alipay'
    UNION ALL
    SELECT * FROM qr_statement_csv(convert_from(substr(f.file, CASE WHEN f.bom THEN 4 ELSE 1 END), 'UTF8'), 'unionpay',
                                   m.mapping -> 'columns', m.mapping ->> 'delimiter', m.mapping ->> 'time_zone')
     WHERE f.provider = 'unionpay') r;

SELECT month_check('readers', 'no line of a rendered file is unreadable', count(*) = 0,
                   format('%s lines, first: %s', count(*), min(error)))
FROM month_read WHERE error IS NOT NULL;
SELECT month_same('readers', format('the %s file(s) of %s read back line for line', count(*), p.provider),
                  (SELECT array_agg(e.line) FROM month_expected_lines e JOIN month_files f ON f.id = e.file WHERE f.provider = p.provider),
                  (SELECT array_agg(r.line) FROM month_read r JOIN month_files f ON f.id = r.file WHERE f.provider = p.provider AND r.error IS NULL))
FROM month_providers p JOIN month_files f USING (provider) GROUP BY p.provider ORDER BY p.provider;
