//! The Services section's data: one [`ServiceBlock`] per catalogue service, for the on-call
//! engineer who opens the report: owner, tier, regions, escalation, runbook link, the services
//! it depends on and those that depend on it, and its SLOs with the error budget left.
//!
//! Formatting only: the budgets are computed by [`Catalog::budgets`] and passed in. A runbook
//! becomes a link only through [`safe_href`] (`http(s)`); anything else is plain text. Every
//! string from the config or the documents stays text: the template escapes it.

use std::collections::BTreeMap;

use super::html::safe_href;
use super::view::{ServiceBlock, ServiceSlo};
use crate::catalog::{Catalog, Slo, SloSource};
use crate::metrics::slo_budget::{Budget, BudgetingMethod};

/// The blocks of every service of `catalog`, sorted by service; `budgets` by [`Slo::id`] (an
/// SLO without one shows `no data`).
pub fn service_blocks(catalog: &Catalog, budgets: &BTreeMap<String, Budget>) -> Vec<ServiceBlock> {
    catalog
        .services
        .iter()
        .map(|(name, svc)| {
            let svc = svc.as_ref();
            let runbook = svc.and_then(|s| s.runbook_url.as_deref());
            let runbook_href = runbook.and_then(safe_href).map(str::to_string);
            ServiceBlock {
                service: name.clone(),
                owner: svc.and_then(|s| s.owner.clone()).unwrap_or_default(),
                tier: svc.and_then(|s| s.tier.clone()).unwrap_or_default(),
                regions: svc.map(|s| s.regions.join(", ")).unwrap_or_default(),
                escalation: svc
                    .and_then(|s| s.escalation.as_ref())
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                runbook_text: match (&runbook_href, runbook) {
                    (None, Some(text)) => text.to_string(),
                    _ => String::new(),
                },
                runbook_href,
                depends_on: svc.map(|s| s.depends_on.clone()).unwrap_or_default(),
                depended_on_by: catalog.depended_on_by(name),
                slos: catalog
                    .slos_of(name)
                    .map(|slo| slo_row(slo, budgets.get(&slo.id())))
                    .collect(),
                ..ServiceBlock::default()
            }
        })
        .collect()
}

fn slo_row(slo: &Slo, budget: Option<&Budget>) -> ServiceSlo {
    let method = match &slo.method {
        BudgetingMethod::Occurrences => "Occurrences".to_string(),
        BudgetingMethod::Timeslices {
            slice_target,
            slice_min,
        } => format!(
            "Timeslices ({slice_min} min slices, good at ≥ {})",
            percent(*slice_target)
        ),
        BudgetingMethod::RatioTimeslices { slice_min } => {
            format!("RatioTimeslices ({slice_min} min slices)")
        }
    };
    let source = match &slo.source {
        SloSource::File { .. } => slo.source.to_string().replace('`', ""),
        other => other.kind().to_string(),
    };
    ServiceSlo {
        title: slo.title.clone(),
        measures: slo.sli_text(),
        target: percent(slo.target),
        window: slo.window.to_string(),
        method,
        budget_left: match budget.and_then(|b| b.remaining) {
            Some(r) if r < 0.0 => format!("overspent ({:.1} %)", r * 100.0),
            Some(r) => format!("{:.1} %", r * 100.0),
            None => "no data".into(),
        },
        source,
    }
}

/// A share as a percentage with as many digits as it needs (up to 4): `99.95 %`, `99 %`.
fn percent(share: f64) -> String {
    let text = format!("{:.4}", share * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} %")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ServiceSettings, parse_documents, parse_services};
    use crate::report::render_html;
    use crate::report::view::ReportView;

    fn catalog(config: &str) -> Catalog {
        let t: toml::Table = config.parse().unwrap();
        let services: BTreeMap<String, ServiceSettings> =
            parse_services("o.toml", t["services"].as_table().unwrap()).unwrap();
        let doc = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: chat-fast, displayName: Chat <b>fast</b>}\nspec:\n  service: chat\n  indicator: {metadata: {name: chat-latency}, spec: {thresholdMetric: {metricSource: {type: Any}}}}\n  budgetingMethod: Timeslices\n  objectives: [{op: lt, value: 300, target: 0.95, timeSliceTarget: 0.9, timeSliceWindow: 5m}]\n";
        let slos = parse_documents(&[("slos/chat.yaml".into(), doc.into())]).unwrap();
        Catalog::build("o.toml", &services, slos).unwrap()
    }

    #[test]
    fn blocks_show_owners_links_and_both_directions_of_dependencies() {
        let c = catalog(
            "[services.login]\nowner = \"identity\"\nrunbook_url = \"https://rb.example/login\"\nescalation = { rotation = \"id-primary\", channel = \"#id\" }\n[services.mm]\ndepends_on = [\"login\", \"chat\"]\nslo_availability_target = 0.9995\n",
        );
        let budgets: BTreeMap<String, Budget> = c
            .slos
            .iter()
            .filter(|s| s.service == "mm")
            .map(|s| {
                let b = Budget {
                    good: 0.0,
                    total: 1.0,
                    bad: 1.0,
                    allowed_bad: 0.5,
                    sli: Some(0.0),
                    remaining: Some(-1.0),
                };
                (s.id(), b)
            })
            .collect();
        let blocks = service_blocks(&c, &budgets);
        let names: Vec<&str> = blocks.iter().map(|b| b.service.as_str()).collect();
        assert_eq!(names, ["chat", "login", "mm"]);
        let login = &blocks[1];
        assert_eq!(login.owner, "identity");
        assert_eq!(
            login.runbook_href.as_deref(),
            Some("https://rb.example/login")
        );
        assert_eq!(login.escalation, "id-primary (#id)");
        assert_eq!(login.depended_on_by, ["mm"]);
        assert_eq!(login.slos[0].source, "default");
        assert_eq!(login.slos[0].budget_left, "no data");
        let mm = &blocks[2];
        assert_eq!(mm.depends_on, ["login", "chat"]);
        assert_eq!(mm.slos[0].target, "99.95 %");
        assert_eq!(mm.slos[0].budget_left, "overspent (-100.0 %)");
        let chat = &blocks[0];
        assert_eq!(chat.depended_on_by, ["mm"]);
        assert_eq!(
            chat.slos.len(),
            2,
            "the default availability and the document's latency"
        );
        let latency = &chat.slos[1];
        assert_eq!(latency.measures, "latency p99 < 300 ms");
        assert_eq!(latency.method, "Timeslices (5 min slices, good at ≥ 90 %)");
        assert_eq!(
            latency.source,
            "slos/chat.yaml document 1 (chat-fast), spec.objectives[0]"
        );
    }

    #[test]
    fn a_runbook_that_is_not_http_is_text_never_a_link() {
        // the config refuses such a URL; a catalogue built another way must still not link it
        let mut c = catalog("[services.login]\n");
        if let Some(Some(s)) = c.services.get_mut("login") {
            s.runbook_url = Some("javascript:alert(1)".into());
        }
        let blocks = service_blocks(&c, &BTreeMap::new());
        assert_eq!(blocks[1].runbook_href, None);
        assert_eq!(blocks[1].runbook_text, "javascript:alert(1)");
    }

    #[test]
    fn markup_in_names_and_titles_is_escaped_in_the_page() {
        let c = catalog(
            "[services.\"<script>alert(1)</script>\"]\nowner = \"<script>alert('owner')</script>\"\nrunbook_url = \"https://rb.example/a?b=1&c=<x>\"\n",
        );
        let mut blocks = service_blocks(&c, &BTreeMap::new());
        assert_eq!(blocks[1].service, "chat");
        blocks[1].runbook_text = "javascript:alert(2)".into();
        let view = ReportView {
            title: "opsbench report".into(),
            services: blocks,
            ..ReportView::default()
        };
        let html = render_html(&view).unwrap();
        assert!(
            html.contains("<section id=\"services\""),
            "the section is there"
        );
        assert!(html.contains("href=\"#services\""), "and in the contents");
        assert!(
            !html.contains("<script>"),
            "no markup from the data survives"
        );
        assert!(!html.contains("<b>fast"), "nor from a document's title");
        assert!(
            html.contains("&#60;script&#62;alert(&#39;owner&#39;)&#60;/script&#62;")
                || html.contains("&lt;script&gt;alert(&#x27;owner&#x27;)&lt;/script&gt;"),
            "the owner is shown as text"
        );
        assert!(
            html.contains("Chat &#60;b&#62;fast&#60;/b&#62;")
                || html.contains("Chat &lt;b&gt;fast&lt;/b&gt;")
        );
        assert!(
            !html.contains("href=\"javascript:"),
            "a non-http runbook is never a link"
        );
        assert!(html.contains("<dd>javascript:alert(2) (not a web link)</dd>"));
        assert!(
            html.contains("href=\"https://rb.example/a?b=1&#38;c=&#60;x&#62;\"")
                || html.contains("href=\"https://rb.example/a?b=1&amp;c=&lt;x&gt;\"")
        );
    }
}
