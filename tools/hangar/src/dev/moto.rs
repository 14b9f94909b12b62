//! The moto server of the local stack, run as a child process from the project's `.venv`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::{check_port, DevError};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// `scripts/moto_server.py`: moto's server with DynamoDB requests served one at a time (as
/// DynamoDB applies conditional writes atomically) that exits when its parent is gone.
const MOTO_SERVER: &str = include_str!("../../../../scripts/moto_server.py");
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A moto server this process started; stopped by [`MotoProcess::stop`], or killed when
/// dropped (and, on Linux, when this process dies).
pub struct MotoProcess {
    child: Child,
    url: String,
    log: PathBuf,
}

impl MotoProcess {
    /// Starts `<venv>/bin/moto_server` on 127.0.0.1:`port` (0: a free port), logging to
    /// `log`, and waits until it answers.
    pub async fn spawn(venv: &Path, port: u16, log: &Path) -> Result<Self, DevError> {
        let exe = venv.join("bin").join("moto_server");
        if !exe.is_file() {
            return Err(DevError::MotoMissing { path: exe });
        }
        let port = free_or_given_port(port)?;
        let log_file = std::fs::File::create(log).map_err(|source| DevError::Io {
            what: format!("create {}", log.display()),
            source,
        })?;
        let log_err = log_file.try_clone().map_err(|source| DevError::Io {
            what: format!("open {}", log.display()),
            source,
        })?;
        // moto's own entry point under a watchdog thread: when this process dies without
        // stopping it, moto's parent changes and it exits (no orphan moto server).
        let python = venv.join("bin").join("python");
        let mut command = Command::new(&python);
        command
            .args([
                "-c",
                MOTO_SERVER,
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .kill_on_drop(true)
            // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop
            // moto in order.
            .process_group(0);
        let child = command.spawn().map_err(|source| DevError::Io {
            what: format!("start {}", exe.display()),
            source,
        })?;
        let mut moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        };
        moto.wait_ready().await?;
        Ok(moto)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn wait_ready(&mut self) -> Result<(), DevError> {
        let client = reqwest::Client::new();
        let probe = format!("{}/moto-api/", self.url);
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(DevError::MotoExited {
                    status: status.to_string(),
                    log: self.log.clone(),
                });
            }
            if client
                .get(&probe)
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok()
            {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(DevError::MotoNotReady {
                    url: self.url.clone(),
                    log: self.log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Resolves when the moto server exits on its own.
    pub async fn exited(&mut self) -> String {
        match self.child.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        }
    }

    /// SIGTERM, then SIGKILL after a grace period; waits for the process to end.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            terminate(pid).await;
            if tokio::time::timeout(STOP_GRACE, self.child.wait())
                .await
                .is_ok()
            {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}

fn free_or_given_port(port: u16) -> Result<u16, DevError> {
    let listener = check_port(port, "--moto-port")?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| DevError::Io {
            what: "read a local port".into(),
            source,
        })
}

/// Sends SIGTERM to `pid` (our own child) with `kill(1)`.
async fn terminate(pid: u32) {
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    if let Err(e) = sent {
        tracing::warn!(error = %e, pid, "could not signal the moto server");
    }
}
