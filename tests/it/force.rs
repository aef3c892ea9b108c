//! `ingest --force` after a config fix replaces what the export loaded before (see
//! `fixtures/force_reload/README.md`).

use opsbench::schema::Dataset;

use crate::util::{csv_text, fixture, opsbench, read_back};

#[test]
fn force_replaces_the_rows_an_export_loaded_before_but_not_later_exports_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let fx = fixture("force_reload");
    let ingest = |cfg: &str, file: &str, force: bool| {
        let mut c = opsbench();
        c.arg("--config")
            .arg(fx.join(cfg))
            .arg("--lake")
            .arg(&lake)
            .args(["ingest", "ccu"]);
        if force {
            c.arg("--force");
        }
        c.arg(fx.join(file)).assert().success();
    };
    ingest("berlin.toml", "a.csv", false);
    ingest("berlin.toml", "b.csv", false);
    let before = csv_text(&read_back(&lake, Dataset::Ccu));
    assert!(before.contains("2026-03-10T11:00:00Z,eu,120,a"), "{before}");
    ingest("utc.toml", "a.csv", true);
    let after = csv_text(&read_back(&lake, Dataset::Ccu));
    assert_eq!(
        after.replace("\r\n", "\n"),
        "ts,region,ccu,shard\n\
         2026-03-10T09:00:00Z,eu,999,a\n\
         2026-03-10T10:00:00Z,eu,100,a\n\
         2026-03-10T12:00:00Z,eu,120,a\n"
    );
    // a plain re-ingest of the same export still changes nothing
    ingest("utc.toml", "a.csv", false);
    assert_eq!(csv_text(&read_back(&lake, Dataset::Ccu)), after);
}
