"""The bare polars baseline for ingest throughput: CSV to zstd Parquet with polars' own reader
and writer (Python polars, streaming), no validation. usage: polars_convert.py OUT_DIR CSV...
"""
import os
import sys

import polars as pl

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for i, path in enumerate(sys.argv[2:]):
    pl.scan_csv(path).sink_parquet(os.path.join(out, f"part-{i:04}.parquet"), compression="zstd")
