#!/usr/bin/env bash
# report.sh — a back office's day reconciled and its report opened in a
# real browser (headless Chromium).  The day: a ledger of WeChat Pay and
# Alipay payments over six weeks, each day's provider files loaded and
# run, breaks of several ages and amounts carried into yesterday's run,
# one written off and one assigned to an owner whose name is markup.
# qr_recon_report of yesterday's run is written to day.html, then:
#   (a) Chromium renders it: the screenshot is a PNG of the window's size,
#       decoded here, with the page's many colours and the chart's red bars
#       covering at least the area their heights give;
#   (b) every number of the rendered page (outcomes table, chart, largest
#       breaks, ledger and statement rows) equals the total SQL computes
#       from qr_recon_results and qr_recon_breaks, and none is missing or
#       extra;
#   (c) the page loads nothing (no script, no src, href, url() or @import)
#       and text from users (a table name, a break's owner and note, all
#       holding markup) shows as text.
# Needs a running cluster (PGHOST/PGPORT/PGUSER set, as test/run does) and
# chromium (installed as root if missing: QRPAY_TEST_PACKAGES).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null; then
	# shellcheck disable=SC1091
	. test/cluster.sh
	read -ra packages <<<"$QRPAY_TEST_PACKAGES"
	qrpay_deps "${packages[@]}"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/qrpay-report.XXXXXX")
cleanup() {
	rm -rf "$dir"
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS qrpay_report" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS qrpay_report" \
	-c "CREATE DATABASE qrpay_report"
db() { psql -X -q -v ON_ERROR_STOP=1 -d qrpay_report "$@"; }

db >/dev/null <<'SQL'
SET TimeZone = 'Asia/Shanghai';
CREATE EXTENSION qrpay;
-- the ledger: 12 payments a provider a day, yesterday and 5, 15 and 45 days
-- ago; its name is user text the page shows
CREATE TABLE "ledger <i>main</i>" AS
SELECT p || '-' || to_char(d.day, 'MMDD') || '-' || g AS txn_id, p AS provider,
       'ORD-' || p || '-' || to_char(d.day, 'MMDD') || '-' || g AS reference,
       round(20 + (g * 131 + d.back * 17) % 900 + g / 100.0, 2) AS amount, 'CNY'::text AS currency,
       (d.day + time '09:00' + g * interval '37 min') AT TIME ZONE 'Asia/Shanghai' AS ts, d.day, g
FROM (SELECT back, current_date - back AS day FROM unnest(ARRAY[1, 5, 15, 45]) back) d,
     unnest(ARRAY['wechatpay', 'alipay']) p, generate_series(1, 12) g;

-- a WeChat Pay ALL bill of one day as the provider prints it: skip leaves
-- ledger rows out, bump books one 0.50 higher, stray adds a payment the
-- ledger does not have
CREATE FUNCTION wechat_bill(day date, skip int[], bump int, stray numeric) RETURNS bytea LANGUAGE sql AS $$
    WITH lines AS (
        SELECT l.ts, l.g, l.reference, l.amount + CASE WHEN l.g = bump THEN 0.50 ELSE 0 END AS amount
          FROM "ledger <i>main</i>" l
         WHERE l.provider = 'wechatpay' AND l.day = wechat_bill.day AND l.g <> ALL (skip)
        UNION ALL
        SELECT (wechat_bill.day + time '23:10') AT TIME ZONE 'Asia/Shanghai', 99, 'ORD-unknown', stray
         WHERE stray IS NOT NULL
    )
    SELECT convert_to('交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注' || E'\n'
        || string_agg(format('`%s,`wx123,`1900000109,`0,`,`4200%s%s,`%s,`oUser,`NATIVE,`SUCCESS,`CMB_CREDIT,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`,`%s,`0.60%%,`%s,`0.00,`',
                             to_char(ts + interval '2 s', 'YYYY-MM-DD HH24:MI:SS'), to_char(wechat_bill.day, 'YYYYMMDD'), g,
                             reference, amount, round(amount * 0.006, 2), amount), E'\n' ORDER BY ts)
        || E'\n总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`'
        || count(*) || ',`' || sum(amount) || ',`0.00,`0.00,`' || sum(round(amount * 0.006, 2)) || ',`' || sum(amount)
        || E',`0.00\n', 'UTF8')
      FROM lines
$$;

-- an Alipay detail file of one day (GBK, # preface and footer, tab-padded fields)
CREATE FUNCTION alipay_file(day date, skip int[]) RETURNS bytea LANGUAGE sql AS $$
    SELECT convert_to('#支付宝业务明细查询' || E'\n#账号：[20881234567890]\n'
        || format(E'#起始日期：[%s 00:00:00]   终止日期：[%s 00:00:00]\n',
                  to_char(alipay_file.day, 'YYYY"年"MM"月"DD"日"'), to_char(alipay_file.day + 1, 'YYYY"年"MM"月"DD"日"'))
        || E'#-----------------------------------------业务明细列表----------------------------------------\n'
        || '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注' || E'\n'
        || coalesce(string_agg(format(E'2088%s%s\t,%s\t,交易\t,商品\t,%s\t,%s\t,\t,\t,\t,\t,buyer@example.com\t,%s\t,%s\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,%s\t,0.00\t,\t',
                          to_char(l.day, 'YYYYMMDD'), l.g, l.reference, to_char(l.ts, 'YYYY-MM-DD HH24:MI:SS'),
                          to_char(l.ts + interval '3 s', 'YYYY-MM-DD HH24:MI:SS'), l.amount, l.amount,
                          round(l.amount * 0.006, 2)), E'\n' ORDER BY l.ts) || E'\n', '')
        || E'#-----------------------------------------业务明细列表结束------------------------------------\n#交易合计：'
        || count(*) || E'笔\n#导出时间：[' || to_char(alipay_file.day + 1, 'YYYY"年"MM"月"DD"日"') || E' 09:00:00]\n', 'GBK')
      FROM "ledger <i>main</i>" l
     WHERE l.provider = 'alipay' AND l.day = alipay_file.day AND l.g <> ALL (skip)
$$;

-- one day: both files loaded and run
CREATE FUNCTION reconcile_day(back int, wechat_skip int[], alipay_skip int[], bump int DEFAULT 0, stray numeric DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
    SELECT qr_recon_run('"ledger <i>main</i>"',
                        ARRAY[qr_statement_load('wechatpay', wechat_bill(current_date - back, wechat_skip, bump, stray)),
                              qr_statement_load('alipay', alipay_file(current_date - back, alipay_skip))])
$$;

-- 45 days ago WeChat Pay never settled one payment, 15 days ago Alipay one,
-- 5 days ago WeChat Pay booked one 0.50 higher; yesterday one payment of
-- each is missing, one is booked higher and WeChat Pay lists one the ledger
-- does not have, which is written off after the run.  The breaks still open
-- are carried into each later run.
SELECT reconcile_day(45, '{3}', '{}');
SELECT reconcile_day(15, '{}', '{7}');
SELECT reconcile_day(5, '{}', '{}', bump => 4);
SELECT reconcile_day(1, '{5}', '{11}', bump => 9, stray => 66.60);
SELECT qr_break_write_off(id, 'below the threshold <script>alert("note")</script>')
  FROM qr_recon_breaks WHERE kind = 'missing_in_ledger';
SELECT qr_break_assign(id, '<script>alert("owner")</script>ops', 'asked Alipay <b>again</b>')
  FROM qr_recon_breaks WHERE txn = 'alipay-' || to_char(current_date - 15, 'MMDD') || '-7';
SQL
run=$(db -At -c "SELECT max(id) FROM qr_recon_runs")
db -At -c "SELECT qr_recon_report($run)" >"$dir/day.html"

# --- the browser --------------------------------------------------------
# a profile of its own, no network (every host name fails to resolve), a
# fixed window and colour profile so that the screenshot is what it shows
width=1000 height=1200
browse() {
	HOME=$dir XDG_CONFIG_HOME=$dir/config XDG_CACHE_HOME=$dir/cache \
		timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$dir/profile" --no-first-run --no-default-browser-check \
		--disable-extensions --disable-background-networking --host-resolver-rules='MAP * ~NOTFOUND' \
		--hide-scrollbars --force-device-scale-factor=1 --force-color-profile=srgb \
		--window-size="$width,$height" "$@" "file://$dir/day.html" 2>>"$dir/chromium.log"
}
fail=0
failed() {
	echo "FAIL $*" >&2
	fail=$((fail + 1))
}
start=$SECONDS
if ! browse --screenshot="$dir/day.png" >/dev/null || [ ! -s "$dir/day.png" ]; then
	cat "$dir/chromium.log" >&2
	failed "(a) chromium wrote no screenshot"
fi
if ! browse --dump-dom >"$dir/dom.html" || ! grep -q '</html>' "$dir/dom.html"; then
	cat "$dir/chromium.log" >&2
	failed "(b) chromium dumped no DOM"
fi
echo "chromium: screenshot and DOM in $((SECONDS - start)) s"

# --- (a) it renders -----------------------------------------------------
# A PNG decoded by hand (8-bit RGB or RGBA, not interlaced, as Chromium
# writes it): its size, its distinct colours, and the pixels of the
# chart's bar colour #c33.
png_stats() {
	perl -MCompress::Zlib -e '
		local $/; my $png = <STDIN>;
		substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n" or die "not a PNG\n";
		my ($pos, $idat, $w, $h, $depth, $type, $lace) = (8, "");
		while ($pos + 8 <= length $png) {
			my ($len, $tag) = unpack "N a4", substr($png, $pos, 8);
			my $data = substr($png, $pos + 8, $len);
			($w, $h, $depth, $type, undef, undef, $lace) = unpack "N N C C C C C", $data if $tag eq "IHDR";
			$idat .= $data if $tag eq "IDAT";
			$pos += 12 + $len;
		}
		$depth == 8 && ($type == 2 || $type == 6) && !$lace or die "PNG of depth $depth, colour type $type\n";
		my $bpp = $type == 6 ? 4 : 3;
		my $raw = uncompress($idat) // die "IDAT does not inflate\n";
		my $stride = $w * $bpp;
		length $raw == $h * ($stride + 1) or die "IDAT holds ", length $raw, " bytes\n";
		my (@prev, %colours) = ((0) x $stride);
		my $red = 0;
		for my $y (0 .. $h - 1) {
			my $f = ord substr($raw, $y * ($stride + 1), 1);
			my @cur = unpack "C*", substr($raw, $y * ($stride + 1) + 1, $stride);
			for my $i (0 .. $stride - 1) {
				my ($a, $b, $c) = ($i >= $bpp ? $cur[$i - $bpp] : 0, $prev[$i], $i >= $bpp ? $prev[$i - $bpp] : 0);
				my $p = $f == 0 ? 0 : $f == 1 ? $a : $f == 2 ? $b : $f == 3 ? ($a + $b) >> 1 : do {
					my ($pa, $pb, $pc) = (abs($b - $c), abs($a - $c), abs($a + $b - 2 * $c));
					$pa <= $pb && $pa <= $pc ? $a : $pb <= $pc ? $b : $c };
				$cur[$i] = ($cur[$i] + $p) & 255;
			}
			for (my $i = 0; $i < $stride; $i += $bpp) {
				my $rgb = ($cur[$i] << 16) | ($cur[$i + 1] << 8) | $cur[$i + 2];
				$colours{$rgb} = 1;
				$red++ if $rgb == 0xcc3333;
			}
			@prev = @cur;
		}
		print "$w $h ", scalar(keys %colours), " $red\n";'
}
# the bars: 80 px wide, 170 px for the fullest bucket (the report's scale)
bars=$(db -At -c "
SELECT coalesce(sum(80 * (170 * n / greatest(mx, 1))), 0)
  FROM (SELECT count(*) AS n, max(count(*)) OVER () AS mx
          FROM qr_recon_breaks b JOIN qr_recon_runs r ON r.id = $run
         WHERE b.status IN ('open', 'assigned')
           AND b.id IN (SELECT break FROM qr_recon_results WHERE run = $run)
         GROUP BY width_bucket(extract(epoch FROM r.finished_at - coalesce(b.txn_at, b.opened_at)),
                               ARRAY[86400, 3 * 86400, 7 * 86400, 30 * 86400])) c")
if [ -s "$dir/day.png" ] && stats=$(png_stats <"$dir/day.png"); then
	read -r w h colours red <<<"$stats"
	echo "screenshot: ${w}x$h, $(stat -c %s "$dir/day.png") bytes, $colours colours, $red px of #c33 (bars: $bars px)"
	if [ "$w" != "$width" ] || [ "$h" != "$height" ]; then
		failed "(a) screenshot is ${w}x$h, not ${width}x$height"
	fi
	[ "$colours" -ge 32 ] || failed "(a) screenshot has $colours colours: blank"
	if [ "$bars" -eq 0 ] || [ "$red" -lt "$bars" ]; then
		failed "(a) $red px of #c33 for $bars px of bars"
	fi
else
	failed "(a) screenshot does not decode"
fi

# --- (b) the numbers shown are the SQL totals ---------------------------
# every element with a data-measure: which table (by its other data-
# attribute), its key, the measure and the text shown; the largest
# breaks also by their row order
shown=$dir/shown.tsv
: >"$shown"
rank=0
while IFS= read -r el; do
	[[ $el =~ data-measure=\"([a-z_]+)\" ]] && measure=${BASH_REMATCH[1]}
	[[ $el =~ \>([^<]*)\<$ ]] && value=${BASH_REMATCH[1]}
	if [[ $el =~ data-provider=\"([^\"]*)\"\ data-status=\"([^\"]*)\" ]]; then
		printf 'outcomes\t%s/%s\t%s\t%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$measure" "$value"
	elif [[ $el =~ data-bucket=\"([^\"]*)\" ]]; then
		printf 'chart\t%s\t%s\t%s\n' "${BASH_REMATCH[1]}" "$measure" "$value"
	elif [[ $el =~ data-break=\"([0-9]+)\" ]]; then
		rank=$((rank + 1))
		printf 'largest\t%s\t%s\t%s\n' "${BASH_REMATCH[1]}" "$measure" "$value"
		printf 'largest\t%s\trank\t%s\n' "${BASH_REMATCH[1]}" "$rank"
	else
		printf 'run\t\t%s\t%s\n' "$measure" "$value"
	fi
done < <(grep -oE '<[a-z]+ [^>]*data-measure="[a-z_]+"[^>]*>[^<]*<' "$dir/dom.html" || true) >>"$shown"
echo "numbers shown: $(wc -l <"$shown")"

compare=$(db -At -F ' ' <<SQL
SET TimeZone = 'Asia/Shanghai';
CREATE TEMP TABLE shown (section text, key text, measure text, value text);
\\copy shown FROM '$shown'
CREATE TEMP VIEW results AS SELECT * FROM qr_recon_results WHERE run = $run;
CREATE TEMP VIEW open_breaks AS
SELECT b.*, CASE WHEN age < '1 day' THEN '0-1 days' WHEN age < '3 days' THEN '1-3 days'
                 WHEN age < '7 days' THEN '3-7 days' WHEN age < '30 days' THEN '7-30 days' ELSE '30+ days' END AS bucket
  FROM qr_recon_breaks b,
       LATERAL (SELECT finished_at - coalesce(b.txn_at, b.opened_at) AS age FROM qr_recon_runs WHERE id = $run) a
 WHERE b.status IN ('open', 'assigned') AND EXISTS (SELECT FROM results x WHERE x.break = b.id);
CREATE TEMP TABLE expected (section text, key text, measure text, value numeric);
INSERT INTO expected
SELECT 'outcomes', k, m, v
  FROM (SELECT provider || '/' || status AS k, count(*) AS n, coalesce(sum(ledger_amount), 0) AS la,
               coalesce(sum(statement_amount), 0) AS sa FROM results GROUP BY provider, status
        UNION ALL
        SELECT '*/*', count(*), coalesce(sum(ledger_amount), 0), coalesce(sum(statement_amount), 0) FROM results) g,
       LATERAL (VALUES ('rows', n), ('ledger_amount', la), ('statement_amount', sa)) x(m, v);
INSERT INTO expected
SELECT 'chart', u.bucket, x.m, x.v
  FROM unnest(ARRAY['0-1 days', '1-3 days', '3-7 days', '7-30 days', '30+ days']) u(bucket),
       LATERAL (SELECT count(*) AS n, coalesce(sum(amount), 0) AS amount FROM open_breaks o WHERE o.bucket = u.bucket) c,
       LATERAL (VALUES ('breaks', c.n), ('amount', c.amount)) x(m, v);
INSERT INTO expected
SELECT 'largest', id::text, x.m, x.v
  FROM (SELECT id, amount, row_number() OVER (ORDER BY amount DESC NULLS LAST, id) AS rank FROM open_breaks) b,
       LATERAL (VALUES ('amount', amount), ('rank', rank)) x(m, v)
 WHERE rank <= 20;
INSERT INTO expected VALUES
    ('run', '', 'ledger_rows', (SELECT count(*) FROM results WHERE ledger_txn IS NOT NULL)),
    ('run', '', 'statement_rows', (SELECT count(*) FROM results WHERE line IS NOT NULL));
SELECT 'FAIL (b) ' || coalesce(e.section, s.section) || ' ' || coalesce(e.key, s.key) || ' ' || coalesce(e.measure, s.measure)
       || ': shown ' || coalesce(s.value, 'nothing') || ', SQL says ' || coalesce(e.value::text, 'nothing')
  FROM expected e FULL JOIN shown s USING (section, key, measure)
 WHERE s.value IS NULL OR e.value IS NULL OR s.value !~ '^-?[0-9]+(\.[0-9]+)?$' OR s.value::numeric <> e.value;
-- the day is what this test is about: breaks in at least three age buckets,
-- one assigned, one written off and left out
SELECT 'FAIL (b) the day has breaks in ' || count(DISTINCT bucket) || ' age buckets' FROM open_breaks HAVING count(DISTINCT bucket) < 3;
SELECT 'FAIL (b) no assigned break shown' WHERE NOT EXISTS (SELECT FROM open_breaks WHERE status = 'assigned');
SELECT 'FAIL (b) no written-off break left out'
 WHERE NOT EXISTS (SELECT FROM qr_recon_breaks b WHERE b.status = 'written_off' AND EXISTS (SELECT FROM results x WHERE x.break = b.id));
SELECT 'compared ' || count(*) || ' numbers: outcomes ' || count(*) FILTER (WHERE section = 'outcomes')
       || ', chart ' || count(*) FILTER (WHERE section = 'chart') || ', largest breaks ' || count(*) FILTER (WHERE section = 'largest' AND measure = 'amount')
       || ' (and their order), run ' || count(*) FILTER (WHERE section = 'run')
  FROM expected;
SQL
)
while IFS= read -r line; do
	case $line in
	FAIL*)
		echo "$line" >&2
		fail=$((fail + 1))
		;;
	*) echo "$line" ;;
	esac
done <<<"$compare"

# --- (c) self-contained, user text escaped ------------------------------
for f in day.html dom.html; do
	if grep -Eio '<(script|link|img|iframe|object|embed|base|frame|audio|video|source)[ >]|[ "](src|href|srcset|action|formaction|poster|background)=|url\(|@import|http-equiv' "$dir/$f" >"$dir/loads"; then
		failed "(c) $f loads from elsewhere: $(sort -u "$dir/loads" | tr '\n' ' ')"
	fi
done
# the table name and the owner are shown as the text they are; the notes,
# which the page does not show, appear nowhere
grep -qF '&lt;script&gt;alert("owner")&lt;/script&gt;ops' "$dir/dom.html" || failed "(c) the owner is not shown as text"
grep -qF 'ledger &lt;i&gt;main&lt;/i&gt;' "$dir/dom.html" || failed "(c) the ledger's name is not shown as text"
if grep -qE '<(i|b)>|alert\("note"\)' "$dir/dom.html"; then
	failed "(c) user markup became elements"
fi

echo "report of run $run: $fail failures"
[ "$fail" -eq 0 ]
