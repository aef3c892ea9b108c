-- deployment_counts.sql: the plain aggregations of `change_metrics`.
--
-- Input `deployment_periods`: one row per (counted deployment, report period it finished in),
-- prepared in Rust (src/metrics/changes.rs), which owns which deployments count, whether each
-- failed (through an incident link or its status) and the period assignment: period_order,
-- service, failed (1/0), success (1/0), success_date (the UTC date of finished_at for a
-- successful deployment, else null), lead_hours (finished_at − first_commit_at for a successful
-- deployment with a first commit, else null).
-- Output, per period × service with the `*` roll-up: deployments, failed_deployments,
-- successes, success_days (distinct dates with a successful deployment), lead_time_n.
-- Ratios, bands and medians (the `median` knob) are Rust's, from these counts.
SELECT
    period_order,
    service,
    COUNT(*) AS deployments,
    SUM(failed) AS failed_deployments,
    SUM(success) AS successes,
    COUNT(DISTINCT success_date) AS success_days,
    COUNT(lead_hours) AS lead_time_n
FROM (
    SELECT period_order, service, failed, success, success_date, lead_hours FROM deployment_periods
    UNION ALL
    SELECT period_order, '*' AS service, failed, success, success_date, lead_hours FROM deployment_periods
) AS grouped
GROUP BY period_order, service
ORDER BY period_order, service
