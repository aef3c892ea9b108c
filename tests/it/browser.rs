//! The HTML report as a person sees it: `opsbench demo` writes it, headless Chromium opens it.
//!
//! `report_renders_in_chromium` loads `OUT/report.html` from disk twice (once dumping the DOM,
//! once taking a screenshot) and checks that the data-quality table is there, that the browser
//! logged no console message at all (the page has no script, so any console line is the
//! browser complaining: a Content-Security-Policy violation, a failed load), and that the
//! screenshot is not blank. Without Chromium the test says it skipped, on stderr; under
//! `CI=true` it fails instead, since `.ci/run` installs Chromium. `report_source_is_self_contained`
//! needs no browser. These tests must not reach the network: Chromium runs with background
//! networking off and every host name resolving to nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long one Chromium run may take before it is killed.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// Run `opsbench demo --out DIR --days 14 --seed 7`; returns the temp dir and the report.
fn demo_report() -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().expect("temp dir for the demo");
    crate::util::opsbench()
        .arg("demo")
        .arg("--out")
        .arg(out.path())
        .args(["--days", "14", "--seed", "7"])
        .assert()
        .success();
    let report = out.path().join("report.html");
    assert!(report.is_file(), "demo wrote no {}", report.display());
    (out, report)
}

/// Chromium on `PATH` (`chromium`, `chromium-browser`, `google-chrome`) or in `/usr/bin`.
fn find_browser() -> Option<PathBuf> {
    const NAMES: [&str; 4] = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .collect();
    NAMES
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// `file://` URL of an absolute path, percent-encoding what a URL path cannot hold.
fn file_url(path: &Path) -> String {
    let path = fs_err::canonicalize(path).expect("the report path exists");
    let mut url = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// What one Chromium run left behind.
struct BrowserRun {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Run headless Chromium with `extra` arguments and `url`, killing it after
/// [`BROWSER_TIMEOUT`]. Output goes through files so a chatty browser cannot block on a pipe.
fn run_browser(
    browser: &Path,
    work: &Path,
    label: &str,
    extra: &[String],
    url: &str,
) -> BrowserRun {
    let profile = work.join(format!("profile-{label}"));
    let stdout_path = work.join(format!("{label}.stdout"));
    let stderr_path = work.join(format!("{label}.stderr"));
    let stdout = fs_err::File::create(&stdout_path)
        .expect("stdout file")
        .into_file();
    let stderr = fs_err::File::create(&stderr_path)
        .expect("stderr file")
        .into_file();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-pings",
            // Chromium still makes a few requests of its own (sign-in, time); resolve every
            // host to nothing so the test stays offline.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", browser.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for chromium") {
            break status;
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = fs_err::read_to_string(&stderr_path).unwrap_or_default();
            panic!("chromium ({label}) took over {BROWSER_TIMEOUT:?}; stderr:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    BrowserRun {
        status,
        stdout: fs_err::read_to_string(&stdout_path).expect("chromium stdout"),
        stderr: fs_err::read_to_string(&stderr_path).expect("chromium stderr"),
    }
}

/// Lines of Chromium's log that show the page had a problem. The page has no script, so any
/// `CONSOLE` line comes from the browser itself (Chromium 148 words CSP blocks as "… violates
/// the following Content Security Policy directive …" on an `INFO:CONSOLE` line, without
/// "error" or "Refused to"); the other patterns catch older wordings and failed loads.
fn page_problems(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            line.contains("CONSOLE")
                || line.contains("Refused to")
                || line.contains("net::ERR")
                || line.contains("Content Security Policy")
        })
        .collect()
}

/// Every `src=`, `href=`, `srcset=`, `url(` or `@import` in `html` whose target is on the
/// network (`http://`, `https://` or protocol-relative `//`), with some context.
fn network_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for needle in ["src=", "href=", "srcset=", "url(", "@import"] {
        for (at, _) in lower.match_indices(needle) {
            let target =
                lower[at + needle.len()..].trim_start_matches([' ', '"', '\'', '\n', '\t']);
            // a link (`<a href>`) is a navigation the reader chooses, not a request the page
            // makes: the report shows http(s) runbooks and postmortems as links
            let tag_start = lower[..at].rfind('<').unwrap_or(0);
            let is_link = needle == "href=" && lower[tag_start..].starts_with("<a ");
            if !is_link
                && (target.starts_with("http://")
                    || target.starts_with("https://")
                    || target.starts_with("//"))
            {
                let end = (at + 80).min(html.len());
                found.push(String::from_utf8_lossy(&html.as_bytes()[at..end]).into_owned());
            }
        }
    }
    found
}

/// The rendered report shows the data-quality table, logs nothing and is not blank.
#[test]
#[allow(clippy::print_stderr, reason = "a skipped browser test must say so")]
fn report_renders_in_chromium() {
    let Some(browser) = find_browser() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium is required in CI (installed by .ci/run)");
        }
        eprintln!("skipping: chromium not installed (apt-get install chromium)");
        return;
    };
    let (out, report) = demo_report();
    let work = tempfile::tempdir().expect("temp dir for chromium");
    let url = file_url(&report);

    let dom = run_browser(
        &browser,
        work.path(),
        "dump-dom",
        &["--dump-dom".to_owned()],
        &url,
    );
    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {:?}\n{}",
        dom.status,
        dom.stderr
    );
    assert!(
        dom.stdout.contains("id=\"data-quality-table\"")
            && dom.stdout.contains("Data quality by dataset"),
        "the DOM has no data-quality table:\n{}",
        dom.stdout
    );
    assert!(
        dom.stdout.contains("<th scope=\"row\">ccu</th>"),
        "no `ccu` row in the DOM:\n{}",
        dom.stdout
    );
    let problems = page_problems(&dom.stderr);
    assert!(
        problems.is_empty(),
        "chromium reported problems with the page:\n{}",
        problems.join("\n")
    );

    let shot = out.path().join("shot.png");
    let screenshot = run_browser(
        &browser,
        work.path(),
        "screenshot",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".to_owned(),
        ],
        &url,
    );
    assert!(
        screenshot.status.success(),
        "chromium --screenshot failed: {:?}\n{}",
        screenshot.status,
        screenshot.stderr
    );
    let problems = page_problems(&screenshot.stderr);
    assert!(
        problems.is_empty(),
        "chromium reported problems with the page:\n{}",
        problems.join("\n")
    );
    let size = fs_err::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10 * 1024,
        "screenshot {} is {size} bytes: blank page?",
        shot.display()
    );
}

/// The demo's report is accessible HTML with its security policy and no network reference.
#[test]
fn report_source_is_self_contained() {
    let (_out, report) = demo_report();
    let html = fs_err::read_to_string(&report).expect("report.html");
    for needle in [
        "<h1",
        "<caption",
        "<th scope=\"col\"",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle}");
    }
    assert!(!html.contains("<script"), "report.html has a script");
    let refs = network_references(&html);
    assert!(
        refs.is_empty(),
        "report.html refers to the network: {refs:#?}"
    );
}

/// The static check finds network references and ignores our own fragment and data links.
#[test]
fn network_references_finds_external_targets_only() {
    let page = r##"<a href="#main">x</a><a href="https://runbooks.example/x">runbook</a><link rel="icon" href="data:,"><img src="HTTPS://x/y.png">
        <style>a[href^="http://"]::after { content: attr(href) } .b { background: url( 'http://t/z') }</style>
        <script src=//cdn.example/x.js></script>"##;
    let refs = network_references(page);
    assert_eq!(refs.len(), 3, "{refs:#?}");
    assert!(network_references("<a href=\"#x\">x</a> fill=\"url(#qb-hatch)\"").is_empty());
}

/// Console lines, CSP complaints and failed loads count as problems; dbus noise does not.
#[test]
fn page_problems_reads_chromium_logs() {
    let log = "[1:1:1125/031435.05:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n\
        [1:1:1125/031440.77:INFO:CONSOLE:3] \"Loading the image 'https://example.com/a.png' violates the following Content Security Policy directive\", source: file:///r.html (3)\n\
        Refused to apply inline style\n\
        GET file:///x net::ERR_FILE_NOT_FOUND\n";
    assert_eq!(page_problems(log).len(), 3);
}
