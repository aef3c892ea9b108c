//! `forecast_region` and `forecast_all` end to end on synthetic series.

use super::*;
