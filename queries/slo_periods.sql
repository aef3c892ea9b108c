-- slo_periods.sql: the plain sums behind `slo_metrics`, per report period × service × region.
-- src/metrics/slo.rs turns them into availability, error budget, burn rate, latency p99 and
-- latency attainment, and adds the `*` roll-ups and the rolling `slo_window` rows.
--
-- Inputs:
--   slo          the canonical `slo` rows, cut at as_of by the caller: ts (timestamp, UTC, the
--                start of the row's interval), service, region, requests, errors,
--                latency_p99_ms (NULL when the export has none), and bucket (timestamp, UTC):
--                an instant at or before ts with no period boundary in (bucket, ts], so a row
--                is in a period exactly when its bucket is. The caller passes the start of the
--                stretch between two consecutive period boundaries that holds ts; `ts` itself
--                is also a valid bucket, only slower.
--   periods      period_kind, period, period_start, period_end (timestamps, UTC): the report
--                periods, each the half-open interval [period_start, period_end)
--   slo_targets  service, latency_target_ms (the p99 threshold in ms; NULL = no latency SLO):
--                one row for every service in `slo` (other columns are ignored)
-- A row counts in every period its ts falls in (ts >= period_start AND ts < period_end). The
-- rows are first summed per bucket × service × region (every sum here adds up), so the range
-- join to the periods sees one row per bucket instead of one per input row.
--
-- Output, one row per period × service × region that has at least one row:
--   period_kind, period, period_start, period_end, service, region
--   requests, errors    sums
--   p99_weighted_ms     sum of requests × latency_p99_ms over the rows with a p99
--   p99_requests        sum of requests over the rows with a p99
--   p99_rows            rows with a p99 whose service has a latency target
--   p99_rows_within     of those, the rows with latency_p99_ms <= latency_target_ms
WITH buckets AS (
    SELECT
        s.bucket,
        s.service,
        s.region,
        SUM(s.requests) AS requests,
        SUM(s.errors) AS errors,
        SUM(CASE WHEN s.latency_p99_ms IS NULL THEN 0.0
                 ELSE s.requests * s.latency_p99_ms END) AS p99_weighted_ms,
        SUM(CASE WHEN s.latency_p99_ms IS NULL THEN 0
                 ELSE s.requests END) AS p99_requests,
        SUM(CASE WHEN s.latency_p99_ms IS NULL OR t.latency_target_ms IS NULL THEN 0
                 ELSE 1 END) AS p99_rows,
        SUM(CASE WHEN s.latency_p99_ms <= t.latency_target_ms THEN 1
                 ELSE 0 END) AS p99_rows_within
    FROM slo s
    JOIN slo_targets t ON t.service = s.service
    GROUP BY s.bucket, s.service, s.region
)
SELECT
    p.period_kind,
    p.period,
    p.period_start,
    p.period_end,
    b.service,
    b.region,
    CAST(SUM(b.requests) AS BIGINT) AS requests,
    CAST(SUM(b.errors) AS BIGINT) AS errors,
    CAST(SUM(b.p99_weighted_ms) AS DOUBLE) AS p99_weighted_ms,
    CAST(SUM(b.p99_requests) AS BIGINT) AS p99_requests,
    CAST(SUM(b.p99_rows) AS BIGINT) AS p99_rows,
    CAST(SUM(b.p99_rows_within) AS BIGINT) AS p99_rows_within
FROM buckets b
JOIN periods p ON b.bucket >= p.period_start AND b.bucket < p.period_end
GROUP BY p.period_kind, p.period, p.period_start, p.period_end, b.service, b.region
ORDER BY p.period_kind, p.period_start, p.period, b.service, b.region
