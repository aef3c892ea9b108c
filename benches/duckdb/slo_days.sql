-- Per UTC day, service and region: requests, errors and availability (slo_metrics' day rows).
SELECT strftime(timezone('UTC', ts), '%Y-%m-%d') AS period, service, region,
       sum(requests) AS requests, sum(errors) AS errors,
       1 - sum(errors) / sum(requests) AS availability
FROM read_parquet('{lake}/slo/*/*.parquet')
WHERE ts < TIMESTAMPTZ '{as_of}'
GROUP BY ALL ORDER BY period, service, region;
