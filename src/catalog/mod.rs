//! The service catalogue: who owns each service, how to reach them, what it depends on, and
//! its SLOs. Services are described in `[services.NAME]` of the config; SLOs come from there
//! too and from OpenSLO v1 documents (`slo_files`, [`openslo`]).
//!
//! ```toml
//! slo_files = ["slos/*.yaml"]        # globs relative to the config file's folder
//!
//! [services.matchmaking]
//! owner = "team-matchmaking"
//! tier = "1"                         # text; a number is read as text
//! regions = ["eu-west", "us-east"]
//! slo_availability_target = 0.9995   # or "99.95%"; default 0.999
//! slo_latency_ms = 250               # p99 threshold; absent = no latency SLO
//! slo_latency_target = 0.99          # share of rows within it; default 0.99
//! slo_window_days = 28               # rolling; default 28
//! runbook_url = "https://runbooks.example/matchmaking"   # http(s) only
//! escalation = { rotation = "mm-primary", channel = "#mm-oncall" }
//! depends_on = ["login", "chat"]
//! ```
//!
//! How the two sources combine ([`Catalog::build`]):
//! - every service of the config or of a document is in the catalogue;
//! - a service's availability SLO is, in order: the documents' (any number of objectives), else
//!   the config's `slo_availability_target`, else the default 99.9 % over `slo_window_days`
//!   (28 days); its latency SLO is the documents', else the config's `slo_latency_ms`;
//! - the same SLO (same service and SLI kind: `availability` or `latency`) written both in the
//!   config and in a document is a config error naming both places; so is a
//!   `slo_window_days` that no config SLO uses;
//! - a config availability SLO is budgeted by Occurrences (requests); a config latency SLO by
//!   Occurrences over rows (each row one event, the `latency_slo_attainment` of
//!   `slo_metrics`).
//!
//! Where a service has several SLOs of a kind (a document with an internal objective and an
//! SLA one), the *primary* one shown in `service_catalog` and handed to `slo_metrics`
//! ([`Catalog::slo_targets`]) is the strictest (highest target; on a tie the first in
//! [`Catalog::slos`] order).
//!
//! The `runbook_url` must be `http://` or `https://` (the report links it; a `javascript:` URL
//! is refused at load, exit 2). Names in `regions` and `depends_on` must not hold `;` (the CSV
//! writer joins lists with it). Parsing and validation only, and reading the OpenSLO files;
//! the figures are computed in `metrics` ([`crate::metrics::slo_budget`]).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::metrics::slo::SloTarget;
use crate::metrics::slo_budget::{Budget, BudgetingMethod, Sli, SliRow, ThresholdOp, error_budget};

pub mod openslo;
pub mod services;
pub mod table;
pub mod window;

pub use openslo::{load_slo_files, parse_documents};
pub use services::{Escalation, SERVICE_KEYS, ServiceSettings, parse_services, parse_target};
pub use table::to_frame;
pub use window::{SloWindow, SpecDuration};

/// Where an SLO was defined.
#[derive(Clone, Debug, PartialEq)]
pub enum SloSource {
    /// No SLO written anywhere: 99.9 % over the service's window.
    Default,
    /// `[services.NAME]` of the config file `origin`, key `key`.
    Config { origin: String, key: String },
    /// An OpenSLO document: the file, the document's 1-based position in it, its
    /// `metadata.name`, and the objective's 0-based index and `displayName`.
    File {
        path: String,
        document: usize,
        name: String,
        objective: usize,
        objective_name: Option<String>,
    },
}

impl SloSource {
    /// `default`, `config` or `file`.
    pub fn kind(&self) -> &'static str {
        match self {
            SloSource::Default => "default",
            SloSource::Config { .. } => "config",
            SloSource::File { .. } => "file",
        }
    }
}

impl std::fmt::Display for SloSource {
    /// Where to look, for people: `` `slos/a.yaml` document 2 (`search-slo`), `spec.objectives[0]` ``.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SloSource::Default => f.write_str("the default (99.9 %)"),
            SloSource::Config { origin, key } => write!(f, "`{origin}` key `{key}`"),
            SloSource::File {
                path,
                document,
                name,
                objective,
                objective_name,
            } => {
                write!(
                    f,
                    "`{path}` document {document} (`{name}`), `spec.objectives[{objective}]`"
                )?;
                match objective_name {
                    Some(n) => write!(f, " (`{n}`)"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// One SLO: one objective of an OpenSLO document, or one from the config.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub service: String,
    /// What it measures (read from the `slo` dataset).
    pub sli: Sli,
    /// The objective, in (0, 1).
    pub target: f64,
    pub method: BudgetingMethod,
    pub window: SloWindow,
    pub source: SloSource,
    /// For people: the document's `displayName` or name, and the objective's.
    pub title: String,
}

impl Slo {
    /// A stable id: `FILE#NAME[OBJECTIVE]` for documents (the key (file, `metadata.name`,
    /// objective)), `config:SERVICE.KIND` and `default:SERVICE.availability` otherwise.
    pub fn id(&self) -> String {
        match &self.source {
            SloSource::File {
                path,
                name,
                objective,
                ..
            } => format!("{path}#{name}[{objective}]"),
            SloSource::Config { .. } => format!("config:{}.{}", self.service, self.sli.kind()),
            SloSource::Default => format!("default:{}.{}", self.service, self.sli.kind()),
        }
    }

    /// The SLI in words: `availability`, `latency p99 < 500 ms`.
    pub fn sli_text(&self) -> String {
        match &self.sli {
            Sli::Availability => "availability".into(),
            Sli::Latency { op, threshold_ms } => {
                format!("latency p99 {} {threshold_ms} ms", op.symbol())
            }
        }
    }
}

/// The whole catalogue: the services (config and documents) and every SLO.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    /// Every service named in the config or by a document; `None` when only a document names it.
    pub services: BTreeMap<String, Option<ServiceSettings>>,
    /// Every SLO, sorted by service, kind (availability first), source (config and default
    /// before files) and id.
    pub slos: Vec<Slo>,
}

impl Catalog {
    /// Combine the config's services (read from `origin`) with the SLOs of the OpenSLO
    /// documents (see the module doc). Errors name both places of a duplicate SLO.
    pub fn build(
        origin: &str,
        services: &BTreeMap<String, ServiceSettings>,
        documents: Vec<Slo>,
    ) -> Result<Catalog> {
        let mut names: BTreeMap<String, Option<ServiceSettings>> = services
            .iter()
            .map(|(n, s)| (n.clone(), Some(s.clone())))
            .collect();
        for d in &documents {
            names.entry(d.service.clone()).or_insert(None);
        }
        let doc_of = |service: &str, kind: &str| {
            documents
                .iter()
                .find(|d| d.service == service && d.sli.kind() == kind)
        };
        let mut slos = Vec::new();
        for (name, svc) in &names {
            let key = |k: &str| format!("services.{name}.{k}");
            let window_days = svc.as_ref().map_or(28, |s| s.slo_window_days);
            let window = SloWindow::Rolling(SpecDuration::days(window_days));
            let doc_avail = doc_of(name, "availability");
            let doc_latency = doc_of(name, "latency");
            if let Some(s) = svc {
                for (k, doc) in [
                    ("slo_availability_target", doc_avail),
                    ("slo_latency_ms", doc_latency),
                ] {
                    if let Some(doc) = doc.filter(|_| s.is_set(k)) {
                        return Err(Error::config(
                            origin,
                            key(k),
                            format!(
                                "the {} SLO of `{name}` is also defined in {}; hint: keep one of the two",
                                doc.sli.kind(),
                                doc.source
                            ),
                        ));
                    }
                }
                if s.is_set("slo_window_days") && doc_avail.is_some() && s.slo_latency_ms.is_none()
                {
                    return Err(Error::config(
                        origin,
                        key("slo_window_days"),
                        format!(
                            "no SLO of the config uses it: the availability SLO of `{name}` comes from {} with its own `timeWindow`; hint: remove the key",
                            doc_avail.map(|d| d.source.to_string()).unwrap_or_default()
                        ),
                    ));
                }
            }
            if doc_avail.is_none() {
                let explicit = svc.as_ref().is_some_and(|s| {
                    s.is_set("slo_availability_target") || s.is_set("slo_window_days")
                });
                let source = if explicit {
                    SloSource::Config {
                        origin: origin.to_string(),
                        key: key("slo_availability_target"),
                    }
                } else {
                    SloSource::Default
                };
                slos.push(Slo {
                    service: name.clone(),
                    sli: Sli::Availability,
                    target: svc.as_ref().map_or(0.999, |s| s.slo_availability_target),
                    method: BudgetingMethod::Occurrences,
                    window: window.clone(),
                    title: "availability".into(),
                    source,
                });
            }
            if let Some((s, ms)) = svc
                .as_ref()
                .and_then(|s| s.slo_latency_ms.map(|ms| (s, ms)))
            {
                slos.push(Slo {
                    service: name.clone(),
                    sli: Sli::Latency {
                        op: ThresholdOp::Lte,
                        threshold_ms: ms,
                    },
                    target: s.slo_latency_target,
                    method: BudgetingMethod::Occurrences,
                    window,
                    title: "latency".into(),
                    source: SloSource::Config {
                        origin: origin.to_string(),
                        key: key("slo_latency_ms"),
                    },
                });
            }
        }
        slos.extend(documents);
        slos.sort_by_cached_key(|s| {
            (
                s.service.clone(),
                s.sli.kind() != "availability",
                s.source.kind() == "file",
                s.id(),
            )
        });
        Ok(Catalog {
            services: names,
            slos,
        })
    }

    /// The catalogue of resolved settings: `[services]` plus the SLOs of the `slo_files`
    /// (globs relative to the config file's folder). The one call a command needs.
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Catalog> {
        let origin = settings
            .config_path
            .as_ref()
            .map_or_else(|| "config".to_string(), |p| p.display().to_string());
        let dir = settings
            .config_path
            .as_deref()
            .and_then(std::path::Path::parent)
            .unwrap_or(std::path::Path::new(""));
        let documents = if settings.slo_files.is_empty() {
            Vec::new()
        } else {
            load_slo_files(&origin, dir, &settings.slo_files)?
        };
        Catalog::build(&origin, &settings.services, documents)
    }

    /// The SLOs of `service`.
    pub fn slos_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Slo> + 'a {
        self.slos.iter().filter(move |s| s.service == service)
    }

    /// The primary SLO of a kind (`availability`, `latency`): the strictest.
    pub fn primary(&self, service: &str, kind: &str) -> Option<&Slo> {
        self.slos
            .iter()
            .filter(|s| s.service == service && s.sli.kind() == kind)
            .fold(None, |best: Option<&Slo>, s| match best {
                Some(b) if b.target >= s.target => Some(b),
                _ => Some(s),
            })
    }

    /// Each SLO's error budget at `as_of`, by [`Slo::id`]: over the window that holds `as_of`
    /// ([`SloWindow::bounds`]; rows with `ts` in `[start, as_of)` and before the window's end),
    /// slices aligned on the window's start. `rows` are the `slo` rows per service (every region
    /// of the service together; a `--region` caller passes that region's rows only). SLOs whose
    /// service has no rows are left out; a window that cannot be placed (dates overflow) too.
    pub fn budgets(
        &self,
        rows: &BTreeMap<String, Vec<SliRow>>,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> BTreeMap<String, Budget> {
        let mut out = BTreeMap::new();
        for slo in &self.slos {
            let (Some(service_rows), Some((start, end))) =
                (rows.get(&slo.service), slo.window.bounds(as_of))
            else {
                continue;
            };
            let end = end.min(as_of);
            let inside: Vec<SliRow> = service_rows
                .iter()
                .filter(|r| r.ts >= start && r.ts < end)
                .copied()
                .collect();
            let budget = error_budget(&inside, &slo.sli, slo.target, &slo.method, start);
            out.insert(slo.id(), budget);
        }
        out
    }

    /// The services that list `service` in `depends_on`, sorted.
    pub fn depended_on_by(&self, service: &str) -> Vec<String> {
        self.services
            .iter()
            .filter(|(_, s)| {
                s.as_ref()
                    .is_some_and(|s| s.depends_on.iter().any(|d| d == service))
            })
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The primary targets as `slo_metrics` takes them, per service, for the services whose
    /// primary availability SLO has a window of whole days (a calendar month has none: such a
    /// service keeps the default in `slo_metrics` until it learns calendar windows). The
    /// latency threshold is the primary latency SLO's, when its comparison is `lt`/`lte`.
    pub fn slo_targets(&self) -> BTreeMap<String, SloTarget> {
        let mut out = BTreeMap::new();
        for name in self.services.keys() {
            let Some(a) = self.primary(name, "availability") else {
                continue;
            };
            let Some(days) = a.window.days() else {
                continue;
            };
            let latency_ms = self.primary(name, "latency").and_then(|l| match l.sli {
                Sli::Latency {
                    op: ThresholdOp::Lt | ThresholdOp::Lte,
                    threshold_ms,
                } => Some(threshold_ms),
                _ => None,
            });
            out.insert(
                name.clone(),
                SloTarget {
                    availability: a.target,
                    latency_ms,
                    window_days: days,
                },
            );
        }
        out
    }
}

#[cfg(test)]
mod tests;
