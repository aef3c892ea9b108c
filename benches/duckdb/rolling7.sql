-- 7-day trailing mean of the daily peak CCU per region.
WITH s AS (
    SELECT region, ts, sum(ccu) AS ccu
    FROM read_parquet('{lake}/ccu/*/*.parquet')
    WHERE ts < TIMESTAMPTZ '{as_of}'
    GROUP BY region, ts
), d AS (
    SELECT region, CAST(timezone('UTC', ts) AS DATE) AS day, max(ccu) AS peak FROM s GROUP BY ALL
)
SELECT region, day, avg(peak) OVER (PARTITION BY region ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS mean7
FROM d ORDER BY region, day;
