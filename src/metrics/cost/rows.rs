//! The cost rows as the metrics need them ([`CostRow`]), read from a frame with the lake's
//! canonical `cost` columns ([`cost_rows_from_frame`]), and the `Tags` reader.
//!
//! Repeated text (currencies, providers, regions, services, tag sets) is shared through
//! `Arc`s, and each distinct cell is parsed once, so millions of rows cost little more than
//! their numbers.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use polars::prelude::*;

use super::money::{Money, money_values};
use crate::error::{PolarsContext, Result};

/// A row's tags: key → value as text (numbers and booleans stringified, `null` values left
/// out), keys as written. Look keys up with [`tag_value`] (case-insensitive).
pub type Tags = BTreeMap<String, String>;

/// FOCUS `ChargeCategory`, matched case-insensitively.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChargeCategory {
    Usage,
    Purchase,
    Tax,
    Credit,
    Adjustment,
    /// Anything else (kept in net cost like an adjustment).
    Other,
}

impl ChargeCategory {
    /// Parse a FOCUS value, any case; unknown → `Other`.
    pub fn parse(raw: &str) -> ChargeCategory {
        let t = raw.trim();
        for (name, c) in [
            ("usage", ChargeCategory::Usage),
            ("purchase", ChargeCategory::Purchase),
            ("tax", ChargeCategory::Tax),
            ("credit", ChargeCategory::Credit),
            ("adjustment", ChargeCategory::Adjustment),
        ] {
            if t.eq_ignore_ascii_case(name) {
                return c;
            }
        }
        ChargeCategory::Other
    }
}

/// FOCUS `CommitmentDiscountStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommitmentStatus {
    /// The commitment covered this usage.
    Used,
    /// The idle part of the commitment (its own `Usage` row).
    Unused,
}

/// One FOCUS cost row, as the cost metrics read it. Instants are µs since the epoch, UTC.
#[derive(Clone, Debug, PartialEq)]
pub struct CostRow {
    /// `ChargePeriodStart` (inclusive).
    pub charge_start_us: i64,
    /// `ChargePeriodEnd` (exclusive).
    pub charge_end_us: i64,
    pub billed_cost: Money,
    pub effective_cost: Money,
    /// `ListCost`; `None` when the export has none.
    pub list_cost: Option<Money>,
    /// `ContractedCost`; `None` when the export has none.
    pub contracted_cost: Option<Money>,
    /// `BillingCurrency`, upper-cased; empty when the export has none.
    pub currency: Arc<str>,
    pub category: ChargeCategory,
    /// `ChargeClass = Correction`: fixes a period already invoiced.
    pub is_correction: bool,
    /// `ServiceProviderName` (or `ProviderName`).
    pub provider: Option<Arc<str>>,
    pub region_id: Option<Arc<str>>,
    pub sub_account_id: Option<Arc<str>>,
    pub service_name: Option<Arc<str>>,
    pub service_category: Option<Arc<str>>,
    pub tags: Arc<Tags>,
    pub resource_id: Option<Arc<str>>,
    pub commitment_id: Option<Arc<str>>,
    pub commitment_status: Option<CommitmentStatus>,
    /// `PricingCategory` as written (`Standard`, `Committed`, `Dynamic`, `Other`).
    pub pricing_category: Option<Arc<str>>,
    /// `BillingAccountId` (empty when the export has none).
    pub billing_account: Arc<str>,
    pub billing_period_start_us: Option<i64>,
}

impl CostRow {
    /// A usage row of `effective` (= billed = list) over `[start_us, end_us)` in `currency`,
    /// with nothing else set: the starting point of tests and examples.
    pub fn usage(start_us: i64, end_us: i64, effective: Money, currency: &str) -> CostRow {
        CostRow {
            charge_start_us: start_us,
            charge_end_us: end_us,
            billed_cost: effective,
            effective_cost: effective,
            list_cost: Some(effective),
            contracted_cost: Some(effective),
            currency: currency.into(),
            category: ChargeCategory::Usage,
            is_correction: false,
            provider: None,
            region_id: None,
            sub_account_id: None,
            service_name: None,
            service_category: None,
            tags: Arc::default(),
            resource_id: None,
            commitment_id: None,
            commitment_status: None,
            pricing_category: None,
            billing_account: "".into(),
            billing_period_start_us: None,
        }
    }

    /// Whether `PricingCategory` is `Dynamic` (spot, preemptible).
    pub fn is_spot(&self) -> bool {
        self.pricing_category
            .as_deref()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("dynamic"))
    }
}

/// The value of tag `key`: an exact key first, else the first key equal ignoring case.
pub fn tag_value<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.get(key)
        .or_else(|| {
            tags.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .map(String::as_str)
}

/// Read a `Tags` cell: a JSON object (`{"k":"v","n":1}`), `{}`, empty, `null`/`NULL`, or
/// Azure's brace-less form (`"k":"v","k2":"v2"`). String values are kept as they are; numbers
/// and booleans become their JSON text (`1`, `true`); `null` values are left out; a nested
/// value keeps its JSON text. `None` when the cell is not a JSON object in any of these forms
/// (the caller keeps the row with no tags).
pub fn parse_tags(raw: &str) -> Option<Tags> {
    let canonical = crate::ingest::parse::normalize_tags(raw).ok()?;
    let Some(text) = canonical else {
        return Some(Tags::new());
    };
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let serde_json::Value::Object(map) = value else {
        return None;
    };
    Some(
        map.into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some((k, s)),
                other => Some((k, other.to_string())),
            })
            .collect(),
    )
}

/// One text column read row by row, equal cells made into one shared value: a cache keyed
/// by the borrowed cell, and the previous cell checked first (bills repeat values in runs).
struct TextCol<'a, T: Clone> {
    ca: Option<&'a StringChunked>,
    make: fn(&str) -> T,
    null: T,
    last: Option<(&'a str, T)>,
    cache: HashMap<&'a str, T>,
}

impl<'a, T: Clone> TextCol<'a, T> {
    fn new(ca: &'a Option<StringChunked>, make: fn(&str) -> T, null: T) -> Self {
        TextCol {
            ca: ca.as_ref(),
            make,
            null,
            last: None,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, i: usize) -> T {
        let Some(s) = self.ca.and_then(|c| c.get(i)) else {
            return self.null.clone();
        };
        if let Some((l, v)) = &self.last
            && *l == s
        {
            return v.clone();
        }
        let v = match self.cache.get(s) {
            Some(v) => v.clone(),
            None => {
                let v = (self.make)(s);
                self.cache.insert(s, v.clone());
                v
            }
        };
        self.last = Some((s, v.clone()));
        v
    }
}

/// Trimmed text; empty → `None`.
fn opt_text(s: &str) -> Option<Arc<str>> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.into())
}

fn status(s: &str) -> Option<CommitmentStatus> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("used") {
        Some(CommitmentStatus::Used)
    } else if s.eq_ignore_ascii_case("unused") {
        Some(CommitmentStatus::Unused)
    } else {
        None
    }
}

/// The cost rows of a frame with the lake's canonical `cost` columns (see
/// `schema::COST`): `ChargePeriodStart`, `ChargePeriodEnd` (`Datetime`, any unit, or `Int64`
/// µs), `BilledCost`, `EffectiveCost` (`Decimal(38, 12)`, or anything that casts to it) and
/// `ChargeCategory` must be there; every other column may be absent (read as null).
///
/// Rows without a charge period start or end, or without billed or effective cost, are
/// skipped (the lake never holds such rows: ingest quarantines them). A `Tags` cell that is
/// not a JSON object (the lake stores them as canonical JSON or null; ingest already flagged
/// and emptied bad ones as `invalid_tags`) gives the row no tags: the row is kept and its cost
/// falls to the service rules that do not need tags, else `__unallocated__`.
pub fn cost_rows_from_frame(df: &DataFrame) -> Result<Vec<CostRow>> {
    let n = df.height();
    let has = |c: &str| df.column(c).is_ok();
    let text = |c: &str| -> Result<Option<StringChunked>> {
        if !has(c) {
            return Ok(None);
        }
        let s = df
            .column(c)
            .ctx(|| format!("column `{c}`"))?
            .cast(&DataType::String)
            .ctx(|| format!("column `{c}` as text"))?;
        Ok(Some(
            s.str().ctx(|| format!("column `{c}` as text"))?.clone(),
        ))
    };
    let instants = |c: &str, required: bool| -> Result<Option<Int64Chunked>> {
        if !has(c) && !required {
            return Ok(None);
        }
        let col = df.column(c).ctx(|| format!("column `{c}`"))?;
        let col = match col.dtype() {
            DataType::Datetime(TimeUnit::Microseconds, _) => col.clone(),
            DataType::Datetime(_, tz) => col
                .cast(&DataType::Datetime(TimeUnit::Microseconds, tz.clone()))
                .ctx(|| format!("column `{c}` in µs"))?,
            _ => col.clone(),
        };
        let s = col
            .cast(&DataType::Int64)
            .ctx(|| format!("column `{c}` as µs"))?;
        Ok(Some(s.i64().ctx(|| format!("column `{c}` as µs"))?.clone()))
    };
    let money = |c: &str, required: bool| -> Result<Vec<Option<Money>>> {
        if !has(c) && !required {
            return Ok(vec![None; n]);
        }
        money_values(df, c)
    };

    let start = instants("ChargePeriodStart", true)?.unwrap_or_default();
    let end = instants("ChargePeriodEnd", true)?.unwrap_or_default();
    let bps = instants("BillingPeriodStart", false)?;
    let billed = money("BilledCost", true)?;
    let effective = money("EffectiveCost", true)?;
    let list = money("ListCost", false)?;
    let contracted = money("ContractedCost", false)?;
    if !has("ChargeCategory") {
        df.column("ChargeCategory")
            .ctx(|| "column `ChargeCategory`".into())?;
    }
    let [
        currency,
        category,
        class,
        provider,
        region,
        sub_account,
        service_name,
        service_category,
        tags,
        resource,
        commitment_id,
        commitment_status,
        pricing,
        account,
    ] = [
        "BillingCurrency",
        "ChargeCategory",
        "ChargeClass",
        "ServiceProviderName",
        "RegionId",
        "SubAccountId",
        "ServiceName",
        "ServiceCategory",
        "Tags",
        "ResourceId",
        "CommitmentDiscountId",
        "CommitmentDiscountStatus",
        "PricingCategory",
        "BillingAccountId",
    ]
    .map(text);
    let (currency, category, class, provider, region) =
        (currency?, category?, class?, provider?, region?);
    let (sub_account, service_name, service_category, tags, resource) = (
        sub_account?,
        service_name?,
        service_category?,
        tags?,
        resource?,
    );
    let (commitment_id, commitment_status, pricing, account) =
        (commitment_id?, commitment_status?, pricing?, account?);

    let empty: Arc<str> = "".into();
    let mut currency = TextCol::new(
        &currency,
        |c| c.trim().to_ascii_uppercase().into(),
        empty.clone(),
    );
    let mut category = TextCol::new(&category, ChargeCategory::parse, ChargeCategory::Other);
    let mut class = TextCol::new(
        &class,
        |c| c.trim().eq_ignore_ascii_case("correction"),
        false,
    );
    let mut provider = TextCol::new(&provider, opt_text, None);
    let mut region = TextCol::new(&region, opt_text, None);
    let mut sub_account = TextCol::new(&sub_account, opt_text, None);
    let mut service_name = TextCol::new(&service_name, opt_text, None);
    let mut service_category = TextCol::new(&service_category, opt_text, None);
    let no_tags: Arc<Tags> = Arc::default();
    let mut tags = TextCol::new(
        &tags,
        |t| Arc::new(parse_tags(t).unwrap_or_default()),
        no_tags,
    );
    let mut resource = TextCol::new(&resource, opt_text, None);
    let mut commitment_id = TextCol::new(&commitment_id, opt_text, None);
    let mut commitment_status = TextCol::new(&commitment_status, status, None);
    let mut pricing = TextCol::new(&pricing, opt_text, None);
    let mut account = TextCol::new(&account, |a| a.trim().into(), empty);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (Some(s), Some(e), Some(b), Some(eff)) =
            (start.get(i), end.get(i), billed[i], effective[i])
        else {
            continue;
        };
        out.push(CostRow {
            charge_start_us: s,
            charge_end_us: e,
            billed_cost: b,
            effective_cost: eff,
            list_cost: list[i],
            contracted_cost: contracted[i],
            currency: currency.get(i),
            category: category.get(i),
            is_correction: class.get(i),
            provider: provider.get(i),
            region_id: region.get(i),
            sub_account_id: sub_account.get(i),
            service_name: service_name.get(i),
            service_category: service_category.get(i),
            tags: tags.get(i),
            resource_id: resource.get(i),
            commitment_id: commitment_id.get(i),
            commitment_status: commitment_status.get(i),
            pricing_category: pricing.get(i),
            billing_account: account.get(i),
            billing_period_start_us: bps.as_ref().and_then(|c| c.get(i)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tags_in_every_form_real_exports_use() {
        assert_eq!(
            parse_tags(r#"{"Application":"lobby","cost-center":42,"spot":true,"x":null}"#),
            Some(tags(&[
                ("Application", "lobby"),
                ("cost-center", "42"),
                ("spot", "true")
            ]))
        );
        for empty in ["", "  ", "{}", "NULL", "null", " { } "] {
            assert_eq!(parse_tags(empty), Some(Tags::new()), "{empty:?}");
        }
        // Azure's legacy brace-less form
        assert_eq!(
            parse_tags(r#""env": "prod","game-service":"matchmaking""#),
            Some(tags(&[("env", "prod"), ("game-service", "matchmaking")]))
        );
        // nested values keep their JSON text
        assert_eq!(
            parse_tags(r#"{"a":{"b":1}}"#),
            Some(tags(&[("a", r#"{"b":1}"#)]))
        );
        for bad in ["[1,2]", "42", "{\"a\":", "env=prod"] {
            assert_eq!(parse_tags(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tag_keys_match_ignoring_case_exact_first() {
        let t = tags(&[("Env", "a"), ("env", "b"), ("Team", "c")]);
        assert_eq!(tag_value(&t, "env"), Some("b"));
        assert_eq!(tag_value(&t, "ENV"), Some("a"));
        assert_eq!(tag_value(&t, "team"), Some("c"));
        assert_eq!(tag_value(&t, "nope"), None);
    }

    #[test]
    fn rows_from_a_canonical_frame_keep_a_bad_tags_value() {
        let us = |s: &str| crate::config::parse_instant(s).unwrap().timestamp_micros();
        let df = df!(
            "ChargePeriodStart" => [us("2026-10-01T00:00:00Z"), us("2026-10-01T01:00:00Z")],
            "ChargePeriodEnd" => [us("2026-10-01T01:00:00Z"), us("2026-10-01T02:00:00Z")],
            "BilledCost" => ["1.5", "-2"],
            "EffectiveCost" => ["1.25", "-2"],
            "BillingCurrency" => [Some("usd"), None],
            "ChargeCategory" => ["usage", "Credit"],
            "ChargeClass" => [None, Some("correction")],
            "Tags" => [Some("not json"), Some(r#"{"svc":"login"}"#)],
            "CommitmentDiscountStatus" => [Some("UNUSED"), None],
            "PricingCategory" => [Some("Dynamic"), None],
        )
        .unwrap();
        let mut df = df;
        for c in ["ChargePeriodStart", "ChargePeriodEnd"] {
            let s = df
                .column(c)
                .unwrap()
                .cast(&DataType::Datetime(
                    TimeUnit::Microseconds,
                    Some(TimeZone::UTC),
                ))
                .unwrap();
            df.with_column(s).unwrap();
        }
        let rows = cost_rows_from_frame(&df).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].currency.as_ref(), "USD");
        assert_eq!(rows[0].effective_cost, Money::parse("1.25").unwrap());
        assert_eq!(rows[0].category, ChargeCategory::Usage);
        assert!(rows[0].tags.is_empty());
        assert_eq!(rows[0].commitment_status, Some(CommitmentStatus::Unused));
        assert!(rows[0].is_spot());
        assert_eq!(rows[0].list_cost, None);
        assert_eq!(rows[1].currency.as_ref(), "");
        assert!(rows[1].is_correction);
        assert_eq!(rows[1].category, ChargeCategory::Credit);
        assert_eq!(tag_value(&rows[1].tags, "SVC"), Some("login"));
        assert_eq!(
            rows[1].charge_end_us - rows[1].charge_start_us,
            3_600_000_000
        );
        // a required column missing is an error naming it
        let e = cost_rows_from_frame(&df.drop("EffectiveCost").unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`EffectiveCost`"), "{e}");
    }
}
