//! Reading a frame's column into plain Rust vectors, with errors that name the column: the
//! edge where the metric code leaves polars. No I/O.

use polars::prelude::*;

use crate::error::{PolarsContext, Result};

/// A column named `name` holding `get` of each row: how the metric tables are built.
pub fn column<R, T>(name: &str, rows: &[R], get: impl Fn(&R) -> T) -> Column
where
    Series: NamedFrom<Vec<T>, [T]>,
{
    Column::new(name.into(), rows.iter().map(get).collect::<Vec<T>>())
}

/// A numeric column as `u64` (null → 0: counts).
pub fn counts(df: &DataFrame, c: &str) -> Result<Vec<u64>> {
    let s = df
        .column(c)
        .ctx(|| format!("column {c}"))?
        .cast(&DataType::UInt64)
        .ctx(|| format!("column {c}"))?;
    Ok(s.u64()
        .ctx(|| format!("column {c}"))?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

/// A numeric column as `f64`, nulls kept.
pub fn reals(df: &DataFrame, c: &str) -> Result<Vec<Option<f64>>> {
    let s = df
        .column(c)
        .ctx(|| format!("column {c}"))?
        .cast(&DataType::Float64)
        .ctx(|| format!("column {c}"))?;
    Ok(s.f64().ctx(|| format!("column {c}"))?.iter().collect())
}

/// Any column as text, nulls kept.
pub fn texts(df: &DataFrame, c: &str) -> Result<Vec<Option<String>>> {
    let s = df
        .column(c)
        .ctx(|| format!("column {c}"))?
        .cast(&DataType::String)
        .ctx(|| format!("column {c}"))?;
    Ok(s.str()
        .ctx(|| format!("column {c}"))?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_with_nulls_and_name_missing_ones() {
        let df =
            df!("n" => [Some(1i64), None], "x" => [Some(1.5f64), None], "s" => [Some("a"), None])
                .unwrap();
        assert_eq!(counts(&df, "n").unwrap(), vec![1, 0]);
        assert_eq!(reals(&df, "x").unwrap(), vec![Some(1.5), None]);
        assert_eq!(texts(&df, "s").unwrap(), vec![Some("a".to_string()), None]);
        assert!(
            counts(&df, "nope")
                .unwrap_err()
                .to_string()
                .starts_with("column nope")
        );
    }
}
