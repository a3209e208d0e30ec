//! PostgreSQL briefly unreachable under a running instance: honest 503s, then recovery without a restart.
//! The test has a cluster of its own (`scripts/pg-cluster`), since it stops it.

use crate::common::{self, TestApp};
use crate::helpers::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A throwaway cluster of this test's own, deleted when dropped.
struct Cluster {
    dir: PathBuf,
    _parent: tempfile::TempDir,
    url: String,
}

fn pg_cluster(args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster");
    let out = Command::new(script)
        .args(args)
        .output()
        .expect("scripts/pg-cluster runs");
    assert!(
        out.status.success(),
        "scripts/pg-cluster {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Cluster {
    fn start() -> Cluster {
        let parent = tempfile::Builder::new()
            .prefix("mlp-outage-")
            .tempdir_in("/tmp")
            .unwrap();
        // The cluster runs as the postgres user when the tests run as root.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = parent.path().join("cluster");
        let url = pg_cluster(&["start", dir.to_str().unwrap()]);
        Cluster {
            dir,
            _parent: parent,
            url,
        }
    }

    fn halt(&self) {
        pg_cluster(&["halt", self.dir.to_str().unwrap()]);
    }

    fn resume(&self) {
        pg_cluster(&["resume", self.dir.to_str().unwrap()]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pg-cluster"))
            .args(["stop", self.dir.to_str().unwrap()])
            .output();
    }
}

#[tokio::test]
async fn while_postgres_is_down_the_instance_answers_503_and_recovers_by_itself() {
    let cluster = Cluster::start();
    let location = mlp_console::db::Location::Postgres(cluster.url.clone());
    let app = TestApp::start(&location, tempfile::tempdir().unwrap()).await;
    let db = app.db();
    let owner = common::create_user(&db, "owner@example.com");
    let project_id = mlp_console::cli::create_project(&db, "alpha", &owner.email).unwrap();
    let app = app.owned_by(owner, project_id);
    let token = app.token("worker", "user");
    let browser = app.logged_in(&app.owner.email).await;
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(app.url("/healthz")).send().await.unwrap().status(),
        200
    );
    // One after another, lookups take turns between the lookup threads: each then holds a connection
    // when the server goes away, and only one of them notices while it is down.
    for _ in 0..4 {
        assert_eq!(status(&app, &token).await, 200);
    }

    cluster.halt();
    let res = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let res = http.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the process itself is alive");
    let res = get(&app, "/tokens/me", Some(&token)).await;
    assert_eq!(res.headers()["retry-after"], "5");
    assert_error(
        res,
        503,
        "ServiceUnavailableException",
        "database unavailable",
    )
    .await;
    let res = browser
        .get(app.url(&app.tokens_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(page.contains("Temporarily unavailable"), "{page}");

    cluster.resume();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let res = http.get(app.url("/healthz")).send().await.unwrap();
        if res.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the instance did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every lookup succeeds at once, also on the thread whose connection is from before the outage.
    for _ in 0..4 {
        assert_eq!(status(&app, &token).await, 200, "the API works again");
    }
    let after = futures_util::future::join_all((0..16).map(|_| status(&app, &token))).await;
    assert!(
        after.iter().all(|s| *s == 200),
        "the API works again: {after:?}"
    );
    let res = browser
        .get(app.url(&app.tokens_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the console works again, same session");
}

async fn status(app: &TestApp, token: &str) -> u16 {
    get(app, "/tokens/me", Some(token)).await.status().as_u16()
}
