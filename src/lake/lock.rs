//! The lake's run lock: `LAKE/.lock`, an exclusive `flock(2)` held for a whole run.
//!
//! The kernel releases the lock when the holder dies, so a lock left by a dead process never
//! blocks the next night. The file's content (pid and start time of the holder) is only
//! informative: it names the holder when a second run is refused. Nothing else lives here.

use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};

/// A held lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct LakeLock {
    _file: std::fs::File,
}

/// Take the lock of the lake at `root`, or fail with [`Error::Locked`] naming the holder.
pub fn acquire(root: &Path, command: &str) -> Result<LakeLock> {
    let path = root.join(".lock");
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)?
        .into_parts()
        .0;
    // SAFETY: flock on a valid, open file descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "an unknown process".to_string()
            } else {
                holder.to_string()
            };
            return Err(Error::Locked(format!(
                "lake `{}` is locked by another run ({holder}); hint: wait for it to finish, or check that process",
                root.display()
            )));
        }
        return Err(Error::Io(std::io::Error::new(
            err.kind(),
            format!("locking {}: {err}", path.display()),
        )));
    }
    let started = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    file.set_len(0)?;
    file.rewind()?;
    write!(
        file,
        "pid {} started {started} command {command}",
        std::process::id()
    )?;
    file.flush()?;
    Ok(LakeLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_naming_the_holder_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = acquire(dir.path(), "ingest").unwrap();
        let err = acquire(dir.path(), "run").unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.exit_code(), 3);
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("command ingest"), "{msg}");
        drop(held);
        acquire(dir.path(), "run").unwrap();
    }
}
