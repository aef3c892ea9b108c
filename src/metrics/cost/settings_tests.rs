//! Unit tests of `[cost]` parsing, region and service mapping.

use super::*;

fn parse(text: &str) -> Result<CostSettings> {
    let t: toml::Table = text.parse().unwrap();
    parse_cost("o.toml", t["cost"].as_table().unwrap())
}

fn tags(pairs: &[(&str, &str)]) -> super::super::rows::Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_and_every_key() {
    let s = parse("[cost]\n").unwrap();
    assert_eq!(
        (s.basis, s.share, s.complete_after_hours),
        (Basis::Effective, Share::None, 72)
    );
    let s = parse(
        r#"
[cost]
basis = "list"
share = "player_hours"
complete_after_hours = 48
report_currency = "usd"
anomaly_z = 3
anomaly_min_change = "12.50"
anomaly_min_baseline_days = 10
[cost.fx]
eur = 1.08
GBP = { default = "1.27", "2026-10" = 1.25 }
"#,
    )
    .unwrap();
    assert_eq!(
        (s.basis, s.share, s.complete_after_hours),
        (Basis::List, Share::PlayerHours, 48)
    );
    assert_eq!(s.report_currency.as_deref(), Some("USD"));
    assert_eq!(s.anomaly.min_change, Money::parse("12.5").unwrap());
    assert_eq!(s.anomaly.z, 3.0);
    assert_eq!(s.fx["EUR"].on(2026, 1), Money::parse("1.08"));
    assert_eq!(s.fx["GBP"].on(2026, 10), Money::parse("1.25"));
    assert_eq!(s.fx["GBP"].on(2026, 11), Money::parse("1.27"));
}

#[test]
fn regions_by_provider_alias_then_bare_id() {
    let s = parse(
        r#"
[cost.region_map]
"aws/us-east-1" = "na-east"
"Acme Cloud:fra1" = "eu"
"us-east-1" = "other"
"westeurope" = "eu-west"
"#,
    )
    .unwrap();
    assert_eq!(
        s.game_region(Some("Amazon Web Services"), Some("US-EAST-1")),
        "na-east"
    );
    assert_eq!(s.game_region(Some("AWS"), Some("us-east-1")), "na-east");
    assert_eq!(
        s.game_region(Some("Google Cloud"), Some("us-east-1")),
        "other"
    );
    assert_eq!(s.game_region(None, Some("us-east-1")), "other");
    assert_eq!(s.game_region(Some("acme cloud"), Some("fra1")), "eu");
    assert_eq!(
        s.game_region(Some("Microsoft"), Some("westeurope")),
        "eu-west"
    );
    assert_eq!(s.game_region(Some("Microsoft"), Some("eastus")), GLOBAL);
    assert_eq!(s.game_region(Some("AWS"), None), GLOBAL);
}

#[test]
fn service_rules_tags_then_accounts_then_names() {
    let s = parse(
        r#"
[[cost.service_map]]
service_name = "amazon cloud*"
service = "cdn"
[[cost.service_map]]
sub_account = "2222*"
service = "backend"
[[cost.service_map]]
tag = "app"
value = "mm-*"
service = "matchmaking"
[[cost.service_map]]
tag = "game-service"
"#,
    )
    .unwrap();
    let none = tags(&[]);
    assert_eq!(
        s.service(&tags(&[("Game-Service", "lobby")]), Some("222299"), None),
        "lobby"
    );
    assert_eq!(
        s.service(&tags(&[("APP", "MM-eu")]), None, None),
        "matchmaking"
    );
    assert_eq!(
        s.service(&tags(&[("app", "web")]), Some("222201"), None),
        "backend"
    );
    assert_eq!(
        s.service(&none, Some("9"), Some("Amazon CloudFront")),
        "cdn"
    );
    assert_eq!(
        s.service(&tags(&[("game-service", " ")]), None, None),
        UNALLOCATED
    );
    assert_eq!(s.service(&none, None, None), UNALLOCATED);
}

#[test]
fn errors_name_the_key() {
    let cases = [
        (
            "[cost]\nbasis = \"cash\"\n",
            "o.toml: key `cost.basis`: expected `effective`, `billed` or `list`, found `\"cash\"`",
        ),
        (
            "[cost]\nshares = 1\n",
            "o.toml: key `cost.shares`: unknown key",
        ),
        (
            "[cost.fx]\nEUR = 1.1\n",
            "o.toml: key `cost.fx`: rates need a currency to convert into; hint: set `report_currency`",
        ),
        (
            "[cost]\nreport_currency = \"USD\"\n[cost.fx]\nEUR = 0\n",
            "o.toml: key `cost.fx.EUR`: expected a rate above 0",
        ),
        (
            "[cost]\nreport_currency = \"USD\"\n[cost.fx]\nEUR = { \"2026-13\" = 1 }\n",
            "o.toml: key `cost.fx.EUR.2026-13`: expected `default` or a month",
        ),
        (
            "[cost.region_map]\n\"aws/\" = \"na\"\n",
            "o.toml: key `cost.region_map.aws/`: expected a key",
        ),
        (
            "[cost.region_map]\n\"x\" = \"*\"\n",
            "o.toml: key `cost.region_map.x`: expected the name of a game region",
        ),
        (
            "[cost.service_map]\ntag = \"x\"\n",
            "o.toml: key `cost.service_map`: expected an array of rules; hint:",
        ),
        (
            "[[cost.service_map]]\ntag = \"x\"\nsub_account = \"y\"\n",
            "o.toml: key `cost.service_map[0]`: a rule needs exactly one of",
        ),
        (
            "[[cost.service_map]]\nsub_account = \"y\"\n",
            "o.toml: key `cost.service_map[0].service`: missing",
        ),
        (
            "[[cost.service_map]]\nservice_name = \"[\"\nservice = \"a\"\n",
            "o.toml: key `cost.service_map[0].service_name`: not a valid pattern `[`",
        ),
        (
            "[[cost.service_map]]\nsub_account = \"1\"\nvalue = \"x\"\nservice = \"a\"\n",
            "o.toml: key `cost.service_map[0].value`: `value` only goes with `tag`",
        ),
        (
            "[cost]\ncomplete_after_hours = -1\n",
            "o.toml: key `cost.complete_after_hours`: expected a whole number of hours",
        ),
    ];
    for (text, want) in cases {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.starts_with(want), "{text}\n  got: {e}\n want: {want}");
    }
}
