-- Daily peak and p95 of CCU per region (CCU summed over shards per sample time), UTC days.
WITH s AS (
    SELECT region, ts, sum(ccu) AS ccu
    FROM read_parquet('{lake}/ccu/*/*.parquet')
    WHERE ts < TIMESTAMPTZ '{as_of}'
    GROUP BY region, ts
)
SELECT region, CAST(timezone('UTC', ts) AS DATE) AS day, max(ccu) AS peak_ccu,
       quantile_cont(ccu, 0.95) AS p95_ccu
FROM s GROUP BY ALL ORDER BY region, day;
