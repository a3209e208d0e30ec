//! The one chromedriver of this test binary: found, started on a free loopback port, and killed at exit.
//!
//! Why it is built this way:
//! - one driver per binary, not per test: starting chromedriver costs ~100 ms, a browser session is cheap on top;
//! - chromedriver runs under a tiny `sh` watchdog that leads a new process group and blocks reading a pipe
//!   from this binary. However this binary ends — even by SIGKILL — the kernel closes the pipe, the `read`
//!   returns and the watchdog kills its whole group: chromedriver and every Chromium it started (Chromium
//!   does not leave the group; only its crashpad handler does, and that one exits with its browser);
//! - on a normal end, and on libtest's `process::exit(101)` after a failure, an `atexit` hook kills the group
//!   at once and reaps everything;
//! - Chromium's helpers (zygotes, renderers, crashpad) outlive the browser process for a moment and are then
//!   orphans. In a container whose PID 1 does not reap, each would stay a zombie. So this binary makes itself
//!   a child subreaper: orphans come back to it, a keeper thread reaps them while tests run, and at exit
//!   whatever is left is killed and reaped.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::raw::{c_int, c_ulong};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

extern "C" {
    fn prctl(option: c_int, ...) -> c_int;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn atexit(callback: extern "C" fn()) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
}

const PR_SET_CHILD_SUBREAPER: c_int = 36;
const SIGKILL: c_int = 9;
const WNOHANG: c_int = 1;

/// Debian's packages put them here; `CHROME_BIN` and `CHROMEDRIVER` override (scripts/test sets both).
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Driver {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    port: u16,
    pub chromium: PathBuf,
}

impl Driver {
    /// Ends a session with a plain blocking request, for a journey that panicked. (thirtyfour's own
    /// fallback in `Drop` was measured to hang for its whole request timeout here.)
    pub fn delete_session(&self, session_id: &str) {
        let request = format!(
            "DELETE /session/{session_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        );
        let _ = http_exchange(self.port, &request, Duration::from_secs(30));
    }
}

static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();
static CHILD: Mutex<Option<Child>> = Mutex::new(None);
static CHILD_PID: AtomicI32 = AtomicI32::new(0);

/// The running chromedriver, started on first use. Panics (fails the test) when it cannot run:
/// browser tests never skip, with or without `CI=true`.
pub fn driver() -> &'static Driver {
    match DRIVER.get_or_init(start) {
        Ok(driver) => driver,
        Err(message) => panic!("{message}"),
    }
}

pub fn chromium_path() -> PathBuf {
    path_from_env("CHROME_BIN", DEFAULT_CHROMIUM)
}

fn chromedriver_path() -> PathBuf {
    path_from_env("CHROMEDRIVER", DEFAULT_CHROMEDRIVER)
}

fn path_from_env(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn start() -> Result<Driver, String> {
    let chromium = chromium_path();
    let chromedriver = chromedriver_path();
    let missing: Vec<String> = [("Chromium", &chromium), ("chromedriver", &chromedriver)]
        .iter()
        .filter(|(_, path)| !is_executable(path))
        .map(|(what, path)| format!("{what} ({})", path.display()))
        .collect();
    if !missing.is_empty() {
        let why = if std::env::var("CI").is_ok_and(|v| v == "true") {
            "CI=true: the browser suite must run, a missing browser or driver fails it"
        } else {
            "the browser suite never skips"
        };
        return Err(format!(
            "browser tests cannot run: missing {}. Run `scripts/test` (it installs Debian's `chromium` and \
             `chromium-driver` with apt-get), or `apt-get install chromium chromium-driver`, or set \
             CHROME_BIN / CHROMEDRIVER to where they are ({why}).",
            missing.join(" and ")
        ));
    }

    // SAFETY: a plain prctl on this process.
    unsafe { prctl(PR_SET_CHILD_SUBREAPER, 1 as c_ulong) };
    let port = spawn_until_ready(&chromedriver)?;
    std::thread::Builder::new()
        .name("orphan-reaper".into())
        .spawn(move || {
            // Reaps the zombies of Chromium helpers handed to us as the subreaper, while tests run.
            loop {
                std::thread::sleep(Duration::from_millis(500));
                for pid in orphans().into_iter().filter(|o| o.zombie).map(|o| o.pid) {
                    // SAFETY: waits for one known zombie child, without blocking.
                    unsafe { waitpid(pid, std::ptr::null_mut(), WNOHANG) };
                }
            }
        })
        .map_err(|e| format!("cannot start the reaper thread: {e}"))?;
    Ok(Driver {
        url: format!("http://127.0.0.1:{port}"),
        port,
        chromium,
    })
}

/// `$1` chromedriver, `$2` port. No --allowed-ips / --allowed-origins: with either, chromedriver listens
/// on every interface instead of loopback only.
const WATCHDOG: &str = r#""$1" "--port=$2" --log-level=WARNING </dev/null &
read -r _
kill -KILL 0
"#;

fn spawn_until_ready(chromedriver: &Path) -> Result<u16, String> {
    let log_dir = super::artifacts_dir();
    let mut last_error = String::new();
    // A free port can be taken by someone else between our probe and chromedriver's bind: retry.
    for _attempt in 0..3 {
        let port = free_port().map_err(|e| format!("no free loopback port: {e}"))?;
        let log = std::fs::File::create(log_dir.join("chromedriver.log"))
            .map_err(|e| format!("cannot write {}: {e}", log_dir.display()))?;
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(WATCHDOG)
            .arg("chromedriver-watchdog")
            .arg(chromedriver)
            .arg(port.to_string())
            // Our end of this pipe lives in CHILD until the process is gone.
            .stdin(Stdio::piped())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if is_ready(port) {
                CHILD_PID.store(c_int::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
                *CHILD.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
                // SAFETY: registering a plain `extern "C" fn` with libc.
                unsafe { atexit(stop_at_exit) };
                return Ok(port);
            }
            if let Ok(Some(status)) = child.try_wait() {
                last_error =
                    format!("chromedriver exited with {status} (see target/e2e/chromedriver.log)");
                break;
            }
            if Instant::now() > deadline {
                // Closing our end of the pipe makes the watchdog kill its group, chromedriver with it.
                drop(child.stdin.take());
                let _ = child.wait();
                last_error = "chromedriver did not answer /status within 15 s".into();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Err(last_error)
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// chromedriver answers `GET /status` with `"ready": true` once it accepts sessions.
fn is_ready(port: u16) -> bool {
    http_exchange(
        port,
        "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        Duration::from_secs(2),
    )
    .is_some_and(|answer| answer.contains("\"ready\":true") || answer.contains("\"ready\": true"))
}

/// One HTTP/1.1 request to chromedriver on loopback, without any async runtime. Reads up to the end of
/// the body: chromedriver keeps the connection open despite `Connection: close`.
fn http_exchange(port: u16, request: &str, timeout: Duration) -> Option<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length = text[..head_end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if answer.len() >= head_end + 4 + length {
                break;
            }
        }
    }
    Some(String::from_utf8_lossy(&answer).into_owned())
}

struct Orphan {
    pid: c_int,
    zombie: bool,
}

/// Our children other than the watchdog: chromedriver and Chromium processes handed to us as the subreaper.
fn orphans() -> Vec<Orphan> {
    let me = std::process::id().to_string();
    let driver = CHILD_PID.load(Ordering::SeqCst);
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<c_int>().ok())
        .filter(|pid| *pid != driver)
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) S ppid ..."; comm may hold spaces and parentheses, so split after the last ')'.
            let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
            let state = fields.next()?;
            let ppid = fields.next()?;
            (ppid == me).then(|| Orphan {
                pid,
                zombie: state == "Z",
            })
        })
        .collect()
}

extern "C" fn stop_at_exit() {
    let child = match CHILD.try_lock() {
        Ok(mut guard) => guard.take(),
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().take(),
        Err(std::sync::TryLockError::WouldBlock) => None,
    };
    if let Some(mut child) = child {
        if let Ok(pid) = c_int::try_from(child.id()) {
            // SAFETY: signals the watchdog's process group (it, chromedriver, and any Chromium left).
            unsafe { kill(-pid, SIGKILL) };
        }
        // Reap it, so no zombie outlives the binary.
        let _ = child.wait();
    }
    // Chromium helpers that were orphaned on the way: kill and reap them (give them a moment to arrive).
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = orphans();
        if left.is_empty() || Instant::now() > deadline {
            break;
        }
        for orphan in left {
            // SAFETY: our own child processes, which only the browser tests create.
            unsafe {
                if !orphan.zombie {
                    kill(orphan.pid, SIGKILL);
                }
                waitpid(orphan.pid, std::ptr::null_mut(), WNOHANG);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
