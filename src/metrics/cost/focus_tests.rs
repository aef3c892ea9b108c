//! The FOCUS specification's example files through the real ingest.
