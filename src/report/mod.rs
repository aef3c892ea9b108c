//! Report writers: the HTML report and the output tables.
//!
//! [`view`] is the data the HTML page shows, [`html`] renders it (askama template in
//! `reports/`), [`svg`] draws its inline charts, and [`table_csv`] writes output tables as
//! RFC 4180 CSV and zstd Parquet. Nothing here computes a figure: callers pass finished frames
//! and views. Files are written under a temporary name and renamed into place, so a crash never
//! leaves half a file behind.

pub mod actions;
pub mod capacity_section;
pub mod causes_section;
pub mod change_section;
pub mod charts;
pub mod cost_section;
pub mod forecast_chart;
pub mod gate_section;
pub mod html;
pub mod out_manifest;
pub mod sections;
pub mod services_section;
pub mod slo_section;
pub mod svg;
pub mod table_csv;
pub mod view;

pub use html::{fmt_int, render_html, safe_href};
pub use svg::quality_bars;
pub use table_csv::{neutralise_cell, write_csv, write_parquet};
pub use view::{ActionItem, DatasetQuality, Example, Headline, InputFile, ReportView, RuleQuality};
