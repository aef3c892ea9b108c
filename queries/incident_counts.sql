-- incident_counts.sql: the plain aggregations of `incident_metrics`.
--
-- Input `incident_periods`: one row per (incident, report period it counts in), prepared in
-- Rust (src/metrics/incidents.rs), which owns the period assignment in report_tz and the
-- as_of cut: period_order (the period's index), service, severity, resolved (1 when resolved
-- at or before as_of, else 0), mttr_min (resolved_at − opened_at in minutes, null while open),
-- open_age_hours (as_of − opened_at in hours while open, else null).
-- Output, per period × service × severity with the `*` roll-ups of each dimension:
-- incidents, resolved, open, oldest_open_age_hours, mttr_mean_min, mttr_max_min, mttr_n.
-- Medians and p90 are not here: they follow the `median` knob (interpolated or lower) and are
-- spelled differently across engines, so Rust computes them from the same rows.
SELECT
    period_order,
    service,
    severity,
    COUNT(*) AS incidents,
    SUM(resolved) AS resolved,
    COUNT(*) - SUM(resolved) AS open,
    MAX(open_age_hours) AS oldest_open_age_hours,
    AVG(mttr_min) AS mttr_mean_min,
    MAX(mttr_min) AS mttr_max_min,
    COUNT(mttr_min) AS mttr_n
FROM (
    SELECT period_order, service, severity, resolved, mttr_min, open_age_hours FROM incident_periods
    UNION ALL
    SELECT period_order, service, '*' AS severity, resolved, mttr_min, open_age_hours FROM incident_periods
    UNION ALL
    SELECT period_order, '*' AS service, severity, resolved, mttr_min, open_age_hours FROM incident_periods
    UNION ALL
    SELECT period_order, '*' AS service, '*' AS severity, resolved, mttr_min, open_age_hours FROM incident_periods
) AS grouped
GROUP BY period_order, service, severity
ORDER BY period_order, service, severity
