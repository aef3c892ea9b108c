//! `opsbench gate --service NAME`: reads from the lake only what the gate's rules need for that
//! service, asks `gate::evaluate`, prints the decision (text, JSON or JUnit XML), keeps it under
//! `LAKE/_gate/decisions/` and exits 0 (pass, warn, overridden), 4 (fail) or 2 (an error, such
//! as a service neither the config nor the lake knows: never a pass).
//!
//! It never forecasts (it reads the capacity plan the last run stored) and never takes the
//! lake's run lock, so a pipeline can ask while the nightly run is going.

use std::collections::BTreeSet;

use chrono::SecondsFormat;
use polars::prelude::*;

use crate::catalog::Catalog;
use crate::cli::{GateArgs, OutputFormat};
use crate::commands::Ctx;
use crate::commands::metrics::change_knobs;
use crate::commands::slo::slo_knobs;
use crate::error::{Error, PolarsContext, Result, exit};
use crate::gate::{self, Decision, DeployFact, Facts, IncidentFact, RunwayFact, SloFacts, Verdict};
use crate::lake::Lake;
use crate::metrics::columns::{reals, texts};
use crate::metrics::{changes, incidents, slo};
use crate::schema::Dataset;

/// The rows of a dataset for one service (and region, when given and `by_region`).
fn rows_of(
    lake: &Lake,
    d: Dataset,
    service: &str,
    region: Option<&str>,
    by_region: bool,
) -> Result<Option<LazyFrame>> {
    if lake.files(d)?.is_empty() {
        return Ok(None);
    }
    let mut lf = lake
        .scan(d)?
        .filter(col("service").eq(lit(service.to_string())));
    if let (Some(r), true) = (region, by_region) {
        lf = lf.filter(col("region").eq(lit(r.to_string())));
    }
    Ok(Some(lf))
}

/// Whether the lake's slo, incidents or deployments name the service.
fn in_data(lake: &Lake, service: &str) -> Result<bool> {
    for d in [Dataset::Slo, Dataset::Incidents, Dataset::Deployments] {
        if let Some(lf) = rows_of(lake, d, service, None, false)? {
            let n = lf
                .select([col("service")])
                .limit(1)
                .collect()
                .ctx(|| format!("looking for the service in {d}"))?
                .height();
            if n > 0 {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn slo_facts(
    ctx: &Ctx,
    lake: &Lake,
    catalog: &Catalog,
    service: &str,
    region: Option<&str>,
) -> Result<(Option<SloFacts>, Vec<String>)> {
    let Some(lf) = rows_of(lake, Dataset::Slo, service, region, true)? else {
        return Ok((None, Vec::new()));
    };
    let as_of = ctx.as_of();
    let knobs = slo_knobs(&ctx.settings, catalog);
    let days = i64::from(knobs.target(service).window_days) + 1;
    let since = (as_of - chrono::Duration::days(days)).timestamp_micros();
    let lf = lf.filter(
        col("ts")
            .dt()
            .timestamp(TimeUnit::Microseconds)
            .gt_eq(lit(since)),
    );
    let table = slo::slo_metrics(lf, &[], as_of, &knobs)?;
    let (kind, svc, reg) = (
        texts(&table, "period_kind")?,
        texts(&table, "service")?,
        texts(&table, "region")?,
    );
    let (budget, b1, b6, lag) = (
        reals(&table, "error_budget_remaining")?,
        reals(&table, "burn_rate_1h")?,
        reals(&table, "burn_rate_6h")?,
        reals(&table, "data_lag_min")?,
    );
    let fast = table
        .column("fast_burn_alert")
        .and_then(|c| c.bool().cloned())
        .ctx(|| "slo_metrics fast_burn_alert".into())?;
    let want = region.unwrap_or("*");
    let mut regions = Vec::new();
    let mut facts = None;
    for i in 0..table.height() {
        if kind[i].as_deref() != Some("slo_window") || svc[i].as_deref() != Some(service) {
            continue;
        }
        let r = reg[i].clone().unwrap_or_default();
        if r == want {
            facts = Some(SloFacts {
                budget_remaining: budget[i],
                fast_burn: fast.get(i),
                burn_rate_1h: b1[i],
                burn_rate_6h: b6[i],
                lag_min: lag[i],
            });
        }
        if r != "*" {
            regions.push(r);
        }
    }
    Ok((facts, regions))
}

fn gather(ctx: &Ctx, lake: &Lake, catalog: &Catalog, args: &GateArgs) -> Result<Facts> {
    let s = &ctx.settings;
    let as_of = ctx.as_of();
    let (service, region) = (args.service.as_str(), args.region.as_deref());
    let (slo, mut slo_regions) = slo_facts(ctx, lake, catalog, service, region)?;
    // the regions the service runs in: the catalogue's, else those of its slo rows
    if let Some(Some(svc)) = catalog.services.get(service)
        && !svc.regions.is_empty()
    {
        slo_regions = svc.regions.clone();
    }
    let all_incidents = match rows_of(lake, Dataset::Incidents, service, None, false)? {
        Some(lf) => Some(incidents::from_frame(
            &lf.collect()
                .ctx(|| "reading the service's incidents".into())?,
        )?),
        None => None,
    };
    let in_region = |r: &Option<String>| region.is_none() || r.is_none() || r.as_deref() == region;
    let incident_facts = all_incidents.as_ref().map(|all| {
        all.iter()
            .filter(|i| i.environment == s.knobs.environment && in_region(&i.region))
            .map(|i| IncidentFact {
                id: i.id.clone(),
                severity_level: i.severity_level(),
                opened_us: i.opened_us,
                resolved_us: i.resolved_us,
            })
            .collect()
    });
    let deployments = match rows_of(lake, Dataset::Deployments, service, None, false)? {
        Some(lf) => {
            let deployments = changes::deployments_from_frame(
                &lf.collect()
                    .ctx(|| "reading the service's deployments".into())?,
            )?;
            let knobs = change_knobs(s);
            let incs = all_incidents.as_deref().unwrap_or(&[]);
            let links = changes::link_incidents(incs, &deployments, as_of, &knobs);
            let facts: Vec<DeployFact> =
                changes::failures(&deployments, incs, &links, as_of, &knobs)
                    .into_iter()
                    .filter(|(d, _)| in_region(&d.region))
                    .map(|(d, failed)| DeployFact {
                        id: d.id.clone(),
                        finished_us: d.finished_us,
                        failed,
                    })
                    .collect();
            Some(facts)
        }
        None => None,
    };
    let runway = crate::lake::derived::read_plan(lake.root())?.map(|plan| {
        let regions: BTreeSet<String> = match region {
            Some(r) => [r.to_string()].into(),
            None => slo_regions.iter().cloned().collect(),
        };
        plan.regions
            .into_iter()
            .filter(|r: &RunwayFact| regions.contains(&r.region))
            .collect()
    });
    let manifest = lake.manifest()?;
    let freshness = crate::commands::freshness::judge(lake, &manifest, as_of, &s.freshness)?;
    Ok(Facts {
        slo,
        incidents: incident_facts,
        deployments,
        runway,
        freshness,
    })
}

pub fn gate_cmd(ctx: &Ctx, args: &GateArgs) -> Result<u8> {
    let lake = Lake::new(&ctx.settings.lake_dir);
    let service = args.service.trim();
    if service.is_empty() {
        return Err(Error::Usage(
            "`--service` is empty; hint: name the service to gate".into(),
        ));
    }
    let catalog = Catalog::from_settings(&ctx.settings)?;
    if !catalog.services.contains_key(service) && !in_data(&lake, service)? {
        return Err(Error::Usage(format!(
            "unknown service `{service}`: neither the config's [services] nor the lake's slo, incidents or deployments name it; hint: check the name, or describe it in [services.{service}]"
        )));
    }
    if let Some(reason) = &args.override_reason
        && reason.trim().is_empty()
    {
        return Err(Error::Usage(
            "`--override` needs a reason; hint: --override \"why it must ship now\"".into(),
        ));
    }
    let facts = gather(ctx, &lake, &catalog, args)?;
    let as_of = ctx.as_of();
    let rules = gate::evaluate(&ctx.settings.gate, &facts, as_of);
    let original = gate::verdict(&rules);
    let verdict = gate::with_override(original, args.override_reason.as_deref());
    let decision = Decision {
        schema_version: gate::SCHEMA_VERSION,
        decided_at: ctx.now.to_rfc3339_opts(SecondsFormat::Micros, true),
        opsbench_version: env!("CARGO_PKG_VERSION").into(),
        actor: args.actor.clone().or_else(|| std::env::var("USER").ok()),
        service: service.to_string(),
        region: args.region.clone(),
        deploy_id: args.deploy_id.clone(),
        as_of: as_of.to_rfc3339_opts(SecondsFormat::Secs, true),
        verdict,
        original_verdict: original,
        override_reason: args.override_reason.clone(),
        rules,
    };
    if lake.root().exists() {
        crate::lake::derived::write_decision(lake.root(), ctx.now, &decision)?;
    }
    if let Some(path) = &args.junit {
        crate::lake::txn::write_atomic(path, gate::output::junit(&decision).as_bytes())?;
    }
    match args.format.resolved() {
        OutputFormat::Json => crate::commands::print_json(&decision)?,
        OutputFormat::Text => print!("{}", gate::output::text(&decision)),
    }
    Ok(if verdict == Verdict::Fail {
        exit::GATE_FAIL
    } else {
        exit::OK
    })
}
