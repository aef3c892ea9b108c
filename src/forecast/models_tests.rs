//! Models on synthetic series with known components.

use super::*;
