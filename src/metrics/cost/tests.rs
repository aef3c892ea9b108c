//! Hand-computed tests of the cost tables.
