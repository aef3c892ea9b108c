//! Capacity plan arithmetic on hand-made cases.

use super::*;
