-- Player-minutes lost per incident (incident_impact): CCU summed over shards as a step function
-- (a sample holds until the region's next one, at most 15 minutes), integrated over
-- [opened_at, mitigated_at or resolved_at or as_of) capped at as_of, times the severity's share;
-- an incident without a region takes every region. A range join of incidents × samples.
WITH s AS (
    SELECT region, ts, sum(ccu) AS ccu
    FROM read_parquet('{lake}/ccu/*/*.parquet')
    WHERE ts <= TIMESTAMPTZ '{as_of}'
    GROUP BY region, ts
), steps AS (
    SELECT region, ts, ccu,
           least(coalesce(lead(ts) OVER (PARTITION BY region ORDER BY ts), ts + INTERVAL 15 MINUTE),
                 ts + INTERVAL 15 MINUTE) AS hold_end
    FROM s
), inc AS (
    SELECT incident_id, region, severity, opened_at AS st,
           greatest(least(coalesce(mitigated_at, resolved_at, TIMESTAMPTZ '{as_of}'), TIMESTAMPTZ '{as_of}'), opened_at) AS en,
           CASE severity WHEN 'SEV1' THEN 1.0 WHEN 'SEV2' THEN 0.5 WHEN 'SEV3' THEN 0.1 ELSE 0.0 END AS share
    FROM read_parquet('{lake}/incidents/*/*.parquet')
    WHERE environment = 'production' AND opened_at <= TIMESTAMPTZ '{as_of}'
)
SELECT incident_id,
       sum(ccu * epoch(least(hold_end, en) - greatest(ts, st)) / 60.0) * any_value(share) AS player_minutes_lost
FROM inc JOIN steps
  ON (inc.region = steps.region OR inc.region IS NULL) AND steps.ts < inc.en AND steps.hold_end > inc.st
GROUP BY incident_id ORDER BY incident_id;
