//! Running the `queries/*.sql` files through polars' SQL context: the one place that touches
//! that (version-sensitive) API, so a polars upgrade changes this file only.
//!
//! Queries are plain aggregations written in the subset of SQL that Spark SQL also accepts
//! (see `queries/README.md`). Tables are registered by name for one query; nothing is cached.

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::error::{PolarsContext, Result};

/// Run `query` (its file name is `name`, for errors) over the given tables.
pub fn run(name: &str, query: &str, tables: &[(&str, LazyFrame)]) -> Result<LazyFrame> {
    let mut ctx = SQLContext::new();
    for (table, lf) in tables {
        ctx.register(table, lf.clone());
    }
    ctx.execute(query).ctx(|| format!("running queries/{name}"))
}

/// Run `query` over one table and collect the result.
pub fn collect(name: &str, query: &str, table: &str, df: DataFrame) -> Result<DataFrame> {
    run(name, query, &[(table, df.lazy())])?
        .collect()
        .ctx(|| format!("running queries/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_query_over_registered_tables() {
        let df = df!("region" => ["eu", "eu", "us"], "ccu" => [1i64, 2, 5]).unwrap();
        let out = run(
            "test.sql",
            "SELECT region, SUM(ccu) AS total FROM ccu GROUP BY region ORDER BY region",
            &[("ccu", df.clone().lazy())],
        )
        .unwrap()
        .collect()
        .unwrap();
        let totals: Vec<i64> = out
            .column("total")
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(totals, vec![3, 5]);
        let Err(err) = run("bad.sql", "SELEC nope FROM ccu", &[("ccu", df.lazy())]) else {
            panic!("a syntax error must fail")
        };
        assert!(
            err.to_string().starts_with("running queries/bad.sql"),
            "{err}"
        );
    }
}
