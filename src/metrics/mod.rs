//! Metrics: pure functions from data to tables. No I/O, no clock, no environment: the window
//! and `as_of` are parameters, so every figure is reproducible from the lake.

pub mod causes;
pub mod changes;
pub mod columns;
pub mod cost;
pub mod freshness;
pub mod impact;
pub mod incidents;
pub mod periods;
pub mod quality;
pub mod reliability;
pub mod samples;
pub mod series;
pub mod slo;
pub mod slo_budget;
pub mod stats;
