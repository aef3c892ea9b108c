//! The service catalogue through the binary: config errors exit 2 and name the key.

use crate::util::opsbench;

/// A `javascript:` runbook URL is refused when the config is read: exit 2, the file and key
/// named, the URL shown.
#[test]
fn a_javascript_runbook_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("opsbench.toml");
    std::fs::write(
        &config,
        "[services.login]\nowner = \"identity\"\nrunbook_url = \"javascript:alert(1)\"\n",
    )
    .unwrap();
    let out = opsbench()
        .arg("--config")
        .arg(&config)
        .args(["config", "--check"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "opsbench: error: {}: key `services.login.runbook_url`: expected an `http://` or `https://` URL, found `javascript:alert(1)`; the report links it, so no other scheme is allowed\n",
            config.display()
        )
    );
}

/// The catalogue's keys and `slo_files` show with their origin.
#[test]
fn catalogue_keys_show_with_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("opsbench.toml");
    std::fs::write(
        &config,
        "slo_files = [\"slos/*.yaml\"]\n[services.login]\nowner = \"identity\"\ndepends_on = [\"accounts\"]\n",
    )
    .unwrap();
    let out = opsbench()
        .arg("--config")
        .arg(&config)
        .args(["config", "--show-origin"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let origin = config.display().to_string();
    for line in [
        format!("slo_files = \"slos/*.yaml\"  # {origin}"),
        format!("services.login.owner = \"identity\"  # {origin}"),
        format!("services.login.depends_on = \"accounts\"  # {origin}"),
    ] {
        // the origin may also carry the key's line (`opsbench.toml:3`)
        let found = stdout.lines().any(|l| {
            l.strip_prefix(line.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
        });
        assert!(found, "{line}\n{stdout}");
    }
}
