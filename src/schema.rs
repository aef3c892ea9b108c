//! The canonical input datasets: column names, types, aliases, keys and validation rules.
//!
//! This is the one place that says what a dataset is. Ingest reads it to map, parse and
//! validate exports; the lake reads it for keys and partition columns; `opsbench schema`
//! prints it. It holds descriptions only: no I/O, no parsing.

use serde::Serialize;

/// The eight input datasets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Incidents,
    Deployments,
    Ccu,
    Activity,
    Cost,
    Slo,
    Capacity,
    Events,
}

impl Dataset {
    /// Every dataset, in the order reports list them.
    pub const ALL: [Dataset; 8] = [
        Dataset::Incidents,
        Dataset::Deployments,
        Dataset::Ccu,
        Dataset::Activity,
        Dataset::Cost,
        Dataset::Slo,
        Dataset::Capacity,
        Dataset::Events,
    ];

    /// The dataset's name, as used on the command line, in the config and in the lake.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Incidents => "incidents",
            Dataset::Deployments => "deployments",
            Dataset::Ccu => "ccu",
            Dataset::Activity => "activity",
            Dataset::Cost => "cost",
            Dataset::Slo => "slo",
            Dataset::Capacity => "capacity",
            Dataset::Events => "events",
        }
    }

    /// Look a dataset up by name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Dataset> {
        Dataset::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The dataset's canonical description.
    pub fn spec(self) -> &'static DatasetSpec {
        match self {
            Dataset::Incidents => &INCIDENTS,
            Dataset::Deployments => &DEPLOYMENTS,
            Dataset::Ccu => &CCU,
            Dataset::Activity => &ACTIVITY,
            Dataset::Cost => &COST,
            Dataset::Slo => &SLO,
            Dataset::Capacity => &CAPACITY,
            Dataset::Events => &EVENTS,
        }
    }
}

impl std::fmt::Display for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The canonical type of a column, and how its text is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Free text (trimmed; empty is null).
    Text,
    /// An instant, stored as `Datetime(µs, UTC)`; RFC 3339 with offset, or naive in `input_tz`.
    Timestamp,
    /// A calendar date, stored as `Date`.
    Date,
    /// A non-negative whole count, stored as `Int64`.
    Count,
    /// A finite non-negative real number, stored as `Float64`.
    Real,
    /// Money, stored as `Decimal(38, 12)`; may be negative (credits, corrections).
    Money,
    /// A severity, normalised to `SEV1` … `SEV5`.
    Severity,
    /// A deployment status, normalised to `success`, `failed`, `rolled_back`, `cancelled`.
    Status,
    /// A JSON object of tags, stored as canonical JSON text (null when empty).
    Tags,
}

impl Kind {
    /// The polars type name of the stored column, as `opsbench schema` prints it.
    pub fn dtype_name(self) -> &'static str {
        match self {
            Kind::Text | Kind::Severity | Kind::Status | Kind::Tags => "string",
            Kind::Timestamp => "datetime[μs, UTC]",
            Kind::Date => "date",
            Kind::Count => "int64",
            Kind::Real => "float64",
            Kind::Money => "decimal(38, 12)",
        }
    }
}

/// One canonical column.
#[derive(Debug, Serialize)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Other names accepted for this column (matched case-insensitively, like the name).
    pub aliases: &'static [&'static str],
    /// The value used when the column or the cell is empty (optional columns only).
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

/// Optional columns that must not be empty when an export has them: FOCUS makes them
/// mandatory, but the specification's own example files leave some out entirely, and those
/// files must load (`shared/reference/cost.md` §2.2). A file without the column loads with
/// nulls; an empty cell in a file that has it is `missing_required`.
pub const REQUIRED_WHEN_PRESENT: &[(Dataset, &str)] = &[
    (Dataset::Cost, "BillingCurrency"),
    (Dataset::Cost, "ServiceName"),
    (Dataset::Cost, "ServiceCategory"),
];

/// One canonical dataset.
#[derive(Debug, Serialize)]
pub struct DatasetSpec {
    pub name: &'static str,
    /// The columns that identify a row: a newer row with the same key replaces the older.
    pub key: &'static [&'static str],
    /// The column whose UTC date names the partition.
    pub partition_by: &'static str,
    pub columns: &'static [ColumnSpec],
    pub doc: &'static str,
}

impl DatasetSpec {
    /// The column called `name` (canonical name, exact).
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The canonical column an export's header names, by name or alias, case-insensitively.
    pub fn resolve(&self, header: &str) -> Option<&ColumnSpec> {
        let h = header.trim();
        self.columns.iter().find(|c| {
            c.name.eq_ignore_ascii_case(h) || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(h))
        })
    }
}

/// A validation rule. Quarantine rules send the row to the quarantine; flag rules keep the
/// row and count it in `data_quality`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    // quarantine
    MissingRequired,
    UnparseableTimestamp,
    NonexistentLocalTime,
    UnparseableDate,
    UnparseableNumber,
    NotAnInteger,
    NegativeValue,
    NotPositive,
    UnparseableDecimal,
    UnknownSeverity,
    UnknownStatus,
    EndBeforeStart,
    ErrorsExceedRequests,
    MalformedRecord,
    // flags
    DuplicateKey,
    AmbiguousLocalTime,
    DetectedBeforeOpened,
    AcknowledgedBeforeOpened,
    MitigatedBeforeOpened,
    StartedAfterFinished,
    CommitAfterFinished,
    InvalidTags,
    UnknownEventKind,
}

impl Rule {
    /// Every rule, quarantine rules first.
    pub const ALL: [Rule; 23] = [
        Rule::MissingRequired,
        Rule::UnparseableTimestamp,
        Rule::NonexistentLocalTime,
        Rule::UnparseableDate,
        Rule::UnparseableNumber,
        Rule::NotAnInteger,
        Rule::NegativeValue,
        Rule::NotPositive,
        Rule::UnparseableDecimal,
        Rule::UnknownSeverity,
        Rule::UnknownStatus,
        Rule::EndBeforeStart,
        Rule::ErrorsExceedRequests,
        Rule::MalformedRecord,
        Rule::DuplicateKey,
        Rule::AmbiguousLocalTime,
        Rule::DetectedBeforeOpened,
        Rule::AcknowledgedBeforeOpened,
        Rule::MitigatedBeforeOpened,
        Rule::StartedAfterFinished,
        Rule::CommitAfterFinished,
        Rule::InvalidTags,
        Rule::UnknownEventKind,
    ];

    /// The rule's stable id, as written in tables and logs.
    pub fn id(self) -> &'static str {
        match self {
            Rule::MissingRequired => "missing_required",
            Rule::UnparseableTimestamp => "unparseable_timestamp",
            Rule::NonexistentLocalTime => "nonexistent_local_time",
            Rule::UnparseableDate => "unparseable_date",
            Rule::UnparseableNumber => "unparseable_number",
            Rule::NotAnInteger => "not_an_integer",
            Rule::NegativeValue => "negative_value",
            Rule::NotPositive => "not_positive",
            Rule::UnparseableDecimal => "unparseable_decimal",
            Rule::UnknownSeverity => "unknown_severity",
            Rule::UnknownStatus => "unknown_status",
            Rule::EndBeforeStart => "end_before_start",
            Rule::ErrorsExceedRequests => "errors_exceed_requests",
            Rule::MalformedRecord => "malformed_record",
            Rule::DuplicateKey => "duplicate_key",
            Rule::AmbiguousLocalTime => "ambiguous_local_time",
            Rule::DetectedBeforeOpened => "detected_before_opened",
            Rule::AcknowledgedBeforeOpened => "acknowledged_before_opened",
            Rule::MitigatedBeforeOpened => "mitigated_before_opened",
            Rule::StartedAfterFinished => "started_after_finished",
            Rule::CommitAfterFinished => "commit_after_finished",
            Rule::InvalidTags => "invalid_tags",
            Rule::UnknownEventKind => "unknown_event_kind",
        }
    }

    /// Look a rule up by id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    /// Whether the rule keeps the row (a flag) rather than quarantining it.
    pub fn is_flag(self) -> bool {
        matches!(
            self,
            Rule::DuplicateKey
                | Rule::AmbiguousLocalTime
                | Rule::DetectedBeforeOpened
                | Rule::AcknowledgedBeforeOpened
                | Rule::MitigatedBeforeOpened
                | Rule::StartedAfterFinished
                | Rule::CommitAfterFinished
                | Rule::InvalidTags
                | Rule::UnknownEventKind
        )
    }

    /// What the rule means, in a few words.
    pub fn doc(self) -> &'static str {
        match self {
            Rule::MissingRequired => "a required value is empty",
            Rule::UnparseableTimestamp => "not a timestamp (RFC 3339, or naive in input_tz)",
            Rule::NonexistentLocalTime => "a naive time that does not exist in input_tz (DST gap)",
            Rule::UnparseableDate => "not a date (YYYY-MM-DD)",
            Rule::UnparseableNumber => "not a number",
            Rule::NotAnInteger => "a count that is a fraction, NaN or infinite",
            Rule::NegativeValue => "a negative count or amount that cannot be negative",
            Rule::NotPositive => "a value that must be above zero",
            Rule::UnparseableDecimal => "not a decimal amount",
            Rule::UnknownSeverity => "a severity outside SEV1-SEV5 and its synonyms",
            Rule::UnknownStatus => {
                "a deployment status outside success/failed/rolled_back/cancelled"
            }
            Rule::EndBeforeStart => {
                "an end before its start (or, for charge periods and events, not after it)"
            }
            Rule::ErrorsExceedRequests => "more errors than requests",
            Rule::MalformedRecord => "a record that is not a JSON object or has the wrong shape",
            Rule::DuplicateKey => "the same key twice in one file: the later line wins (row kept)",
            Rule::AmbiguousLocalTime => {
                "a naive time that exists twice in input_tz: the earlier is taken (row kept)"
            }
            Rule::DetectedBeforeOpened => {
                "detected_at before opened_at: MTTD left empty (row kept)"
            }
            Rule::AcknowledgedBeforeOpened => {
                "acknowledged_at before opened_at: MTTA left empty (row kept)"
            }
            Rule::MitigatedBeforeOpened => "mitigated_at before opened_at: ignored (row kept)",
            Rule::StartedAfterFinished => "started_at after finished_at: ignored (row kept)",
            Rule::CommitAfterFinished => {
                "first_commit_at after finished_at: lead time left empty (row kept)"
            }
            Rule::InvalidTags => "Tags is not a JSON object: tags left empty (row kept)",
            Rule::UnknownEventKind => {
                "an event kind outside launch/marketing/season/maintenance: kept as `other`"
            }
        }
    }
}

const fn col(name: &'static str, kind: Kind, required: bool, doc: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required,
        aliases: &[],
        default: None,
        doc,
    }
}

const fn alias(mut c: ColumnSpec, aliases: &'static [&'static str]) -> ColumnSpec {
    c.aliases = aliases;
    c
}

const fn default(mut c: ColumnSpec, value: &'static str) -> ColumnSpec {
    c.default = Some(value);
    c
}

use Kind::*;

pub static INCIDENTS: DatasetSpec = DatasetSpec {
    name: "incidents",
    key: &["incident_id"],
    partition_by: "opened_at",
    doc: "one row per incident; a later export of the same incident replaces it (the greater updated_at wins)",
    columns: &[
        alias(
            col("incident_id", Text, true, "the incident's id"),
            &["id", "incident"],
        ),
        col("service", Text, true, "the service affected"),
        alias(
            col("severity", Severity, true, "SEV1 (worst) to SEV5"),
            &["sev", "priority"],
        ),
        alias(
            col("opened_at", Timestamp, true, "start of impact"),
            &["started_at", "start_time", "created_at"],
        ),
        col(
            "region",
            Text,
            false,
            "game region affected; empty = all regions",
        ),
        default(col("environment", Text, false, "environment"), "production"),
        col(
            "detected_at",
            Timestamp,
            false,
            "when monitoring or a person noticed",
        ),
        col(
            "acknowledged_at",
            Timestamp,
            false,
            "when on-call acknowledged",
        ),
        col("mitigated_at", Timestamp, false, "when player impact ended"),
        alias(
            col(
                "resolved_at",
                Timestamp,
                false,
                "when resolved; empty = still open",
            ),
            &["closed_at", "end_time"],
        ),
        col(
            "updated_at",
            Timestamp,
            false,
            "when this version of the row was written",
        ),
        col(
            "caused_by_deploy",
            Text,
            false,
            "deploy_id of the deployment that caused it",
        ),
        col(
            "players_affected",
            Count,
            false,
            "players affected, as the export states",
        ),
        col("title", Text, false, "short description"),
        col("cause", Text, false, "cause category"),
        col("postmortem_url", Text, false, "link to the postmortem"),
    ],
};

pub static DEPLOYMENTS: DatasetSpec = DatasetSpec {
    name: "deployments",
    key: &["deploy_id"],
    partition_by: "finished_at",
    doc: "one row per deployment",
    columns: &[
        alias(
            col("deploy_id", Text, true, "the deployment's id"),
            &["deployment_id", "id"],
        ),
        col("service", Text, true, "the service deployed"),
        alias(
            col(
                "finished_at",
                Timestamp,
                true,
                "when the deployment finished",
            ),
            &["deployed_at", "end_time"],
        ),
        alias(
            col(
                "status",
                Status,
                true,
                "success, failed, rolled_back or cancelled",
            ),
            &["result", "outcome"],
        ),
        col("region", Text, false, "game region; empty = all"),
        alias(
            default(col("environment", Text, false, "environment"), "production"),
            &["env"],
        ),
        col(
            "started_at",
            Timestamp,
            false,
            "when the deployment started",
        ),
        col(
            "first_commit_at",
            Timestamp,
            false,
            "time of the first commit it shipped",
        ),
        col("commit_count", Count, false, "commits it shipped"),
    ],
};

pub static CCU: DatasetSpec = DatasetSpec {
    name: "ccu",
    key: &["ts", "region", "shard"],
    partition_by: "ts",
    doc: "concurrent-player samples per region and shard",
    columns: &[
        alias(
            col("ts", Timestamp, true, "sample time"),
            &["timestamp", "time"],
        ),
        col("region", Text, true, "game region"),
        alias(
            col(
                "ccu",
                Count,
                true,
                "concurrent players (non-negative integer)",
            ),
            &["players", "concurrent_players"],
        ),
        alias(
            col("shard", Text, false, "shard or server within the region"),
            &["server"],
        ),
    ],
};

pub static ACTIVITY: DatasetSpec = DatasetSpec {
    name: "activity",
    key: &["date", "region"],
    partition_by: "date",
    doc: "daily activity per region; region `*` is the global DAU (players active in several regions count once)",
    columns: &[
        alias(col("date", Date, true, "the day"), &["day"]),
        col(
            "region",
            Text,
            true,
            "game region, or `*` for the whole game",
        ),
        col("dau", Count, true, "daily active players"),
        col("player_hours", Real, false, "hours played"),
        col("new_players", Count, false, "players new that day"),
        col("peak_ccu", Count, false, "peak concurrent players that day"),
    ],
};

pub static COST: DatasetSpec = DatasetSpec {
    name: "cost",
    key: &["BillingAccountId", "BillingPeriodStart"],
    partition_by: "ChargePeriodStart",
    doc: "FOCUS 1.0-1.3 cost rows; a delivery replaces every row of the (BillingAccountId, BillingPeriodStart) it covers",
    columns: &[
        col(
            "ChargePeriodStart",
            Timestamp,
            true,
            "start of the charge period (inclusive)",
        ),
        col(
            "ChargePeriodEnd",
            Timestamp,
            true,
            "end of the charge period (exclusive)",
        ),
        col("BilledCost", Money, true, "cost as invoiced"),
        alias(
            col(
                "EffectiveCost",
                Money,
                true,
                "amortised cost after discounts",
            ),
            &["AmortizedCost"],
        ),
        col(
            "BillingCurrency",
            Text,
            false,
            "ISO 4217 currency of the costs; FOCUS makes it mandatory but the specification's own examples leave the column out, so only an empty cell is `missing_required`",
        ),
        alias(
            col(
                "ChargeCategory",
                Text,
                true,
                "Usage, Purchase, Tax, Credit, Adjustment",
            ),
            &["ChargeType"],
        ),
        col(
            "ServiceName",
            Text,
            false,
            "the provider's service name; like BillingCurrency, only an empty cell is `missing_required`",
        ),
        col(
            "ServiceCategory",
            Text,
            false,
            "FOCUS service category; like BillingCurrency, only an empty cell is `missing_required`",
        ),
        col(
            "ChargeClass",
            Text,
            false,
            "`Correction` for corrections of a past period",
        ),
        col(
            "BillingPeriodStart",
            Timestamp,
            false,
            "start of the billing period; default: the UTC month of ChargePeriodStart",
        ),
        default(
            col(
                "BillingAccountId",
                Text,
                false,
                "billing account; default empty",
            ),
            "",
        ),
        alias(
            col("ServiceProviderName", Text, false, "the provider"),
            &["ProviderName"],
        ),
        alias(
            col("RegionId", Text, false, "provider region id"),
            &["Region"],
        ),
        col(
            "SubAccountId",
            Text,
            false,
            "sub-account (project, subscription)",
        ),
        col("ResourceId", Text, false, "the resource charged"),
        col("Tags", Tags, false, "JSON object of tags"),
        col("ListCost", Money, false, "cost at list prices"),
        col("ContractedCost", Money, false, "cost at contracted prices"),
        col(
            "CommitmentDiscountId",
            Text,
            false,
            "the commitment applied",
        ),
        col("CommitmentDiscountStatus", Text, false, "Used / Unused"),
        col(
            "PricingCategory",
            Text,
            false,
            "Standard, Committed, Dynamic, Other",
        ),
    ],
};

pub static SLO: DatasetSpec = DatasetSpec {
    name: "slo",
    key: &["ts", "service", "region"],
    partition_by: "ts",
    doc: "request metrics per service and region; a row covers [ts, ts + slo_interval)",
    columns: &[
        alias(
            col("ts", Timestamp, true, "start of the interval"),
            &["timestamp", "time"],
        ),
        col("service", Text, true, "the service"),
        col("region", Text, true, "game region"),
        col("requests", Count, true, "requests served"),
        col("errors", Count, true, "requests that failed"),
        col("latency_p50_ms", Real, false, "median latency"),
        col("latency_p95_ms", Real, false, "95th percentile latency"),
        col("latency_p99_ms", Real, false, "99th percentile latency"),
    ],
};

pub static CAPACITY: DatasetSpec = DatasetSpec {
    name: "capacity",
    key: &["region", "effective_from"],
    partition_by: "effective_from",
    doc: "capacity in force per region from effective_from on; future rows are scheduled capacity",
    columns: &[
        col("region", Text, true, "game region"),
        col(
            "effective_from",
            Timestamp,
            true,
            "when this capacity takes effect",
        ),
        col("instances", Count, true, "instances running"),
        col(
            "players_per_instance",
            Count,
            true,
            "players one instance holds (above zero)",
        ),
        col(
            "max_instances",
            Count,
            false,
            "most instances the region can have",
        ),
        col(
            "provisioning_lead_days",
            Count,
            false,
            "days from order to instances in service",
        ),
        col(
            "instance_cost_per_hour",
            Money,
            false,
            "cost of one instance per hour",
        ),
    ],
};

pub static EVENTS: DatasetSpec = DatasetSpec {
    name: "events",
    key: &["event_id"],
    partition_by: "starts_at",
    doc: "the product and marketing calendar; rows without event_id are keyed by (name, starts_at)",
    columns: &[
        col(
            "event_id",
            Text,
            false,
            "the event's id; default: name and starts_at",
        ),
        col("name", Text, true, "the event's name"),
        col("starts_at", Timestamp, true, "start"),
        col("ends_at", Timestamp, true, "end (after start)"),
        col("region", Text, false, "game region; empty = all"),
        col(
            "kind",
            Text,
            false,
            "launch, marketing, season, maintenance (else `other`)",
        ),
        col(
            "expected_uplift",
            Real,
            false,
            "expected player multiplier (1.3 = +30 %)",
        ),
    ],
};
