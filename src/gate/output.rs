//! How a gate decision is shown: readable text for a person, JUnit XML for a CI system (one
//! test case per rule: `fail` → `<failure>`, `skipped` → `<skipped>`, `warn` → a passing case
//! with the warning in `<system-out>`). JSON is the [`Decision`]'s serde form. Formatting only.

use super::{Decision, Status};

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "FAIL",
        Status::Skipped => "skipped",
    }
}

/// The decision as text for stdout.
pub fn text(d: &Decision) -> String {
    let mut out = format!(
        "gate for `{}`{}{} as of {}: {}",
        d.service,
        d.region
            .as_deref()
            .map(|r| format!(" in `{r}`"))
            .unwrap_or_default(),
        d.deploy_id
            .as_deref()
            .map(|r| format!(" (deploy `{r}`)"))
            .unwrap_or_default(),
        d.as_of,
        d.verdict.name().to_uppercase()
    );
    if let Some(reason) = &d.override_reason {
        out.push_str(&format!(
            " (original verdict {}, overridden: {reason})",
            d.original_verdict.name()
        ));
    }
    out.push('\n');
    for r in &d.rules {
        out.push_str(&format!(
            "  {:<8} {:<20} [{}] {}\n",
            status_word(r.status),
            r.id.id(),
            r.level.name(),
            r.reason
        ));
    }
    out
}

/// XML text escaping (element content and attribute values).
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// The decision as a JUnit XML document.
pub fn junit(d: &Decision) -> String {
    let failures = d.rules.iter().filter(|r| r.status == Status::Fail).count();
    let skipped = d
        .rules
        .iter()
        .filter(|r| r.status == Status::Skipped)
        .count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"opsbench gate\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">\n",
        d.rules.len()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"opsbench gate {}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\" timestamp=\"{}\">\n",
        esc(&d.service),
        d.rules.len(),
        esc(&d.decided_at)
    ));
    x.push_str(&format!(
        "    <properties><property name=\"verdict\" value=\"{}\"/><property name=\"original_verdict\" value=\"{}\"/>{}</properties>\n",
        d.verdict.name(),
        d.original_verdict.name(),
        d.override_reason
            .as_deref()
            .map(|r| format!("<property name=\"override_reason\" value=\"{}\"/>", esc(r)))
            .unwrap_or_default()
    ));
    for r in &d.rules {
        x.push_str(&format!(
            "    <testcase classname=\"opsbench.gate.{}\" name=\"{}\">",
            esc(&d.service),
            r.id.id()
        ));
        match r.status {
            Status::Fail => x.push_str(&format!(
                "<failure message=\"{}\" type=\"{}\">{}</failure>",
                esc(&r.reason),
                r.level.name(),
                esc(&r.reason)
            )),
            Status::Skipped => x.push_str(&format!("<skipped message=\"{}\"/>", esc(&r.reason))),
            Status::Warn => x.push_str(&format!(
                "<system-out>warning: {}</system-out>",
                esc(&r.reason)
            )),
            Status::Pass => x.push_str(&format!("<system-out>{}</system-out>", esc(&r.reason))),
        }
        x.push_str("</testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}
