//! The browser harness: a fresh headless Chromium per journey, helpers that find things the way a person does,
//! and the checks every journey ends with (browser console, axe-core, screenshots).
//!
//! Console rule: after a journey the browser log is read and any `SEVERE` entry fails the test, except a
//! `source: "network"` entry for an HTTP status the journey declared with [`Browser::expect_status`]
//! (Chrome logs every 4xx/5xx response as a SEVERE "Failed to load resource" line, also the 422 of a
//! validation error the journey provokes on purpose). Anything else — a script error, a CSP violation,
//! an unexpected 404 or 500 — is a failure.

pub mod driver;

use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use thirtyfour::common::command::ExtensionCommand;
use thirtyfour::extensions::query::ElementPollerWithTimeout;
use thirtyfour::prelude::*;
use thirtyfour::LoggingPrefsLogLevel;

/// How long a person-like lookup waits for something to appear.
pub const WAIT: Duration = Duration::from_secs(10);
/// How often lookups poll; thirtyfour's default (500 ms) would make the suite slow.
const POLL: Duration = Duration::from_millis(25);

const FIND_JS: &str = include_str!("find.js");
const AXE_JS: &str = include_str!("../vendor/axe.min.js");

const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-search-engine-choice-screen",
    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
    "--password-store=basic",
    "--mute-audio",
    "--lang=en-US",
    "--force-device-scale-factor=1",
    "--window-size=1280,900",
];

/// Chromium on 2 shared cores gets flaky when more browsers run at once; `MLP_E2E_BROWSERS` changes it.
/// A journey with two browsers takes both seats at once, so two such journeys never hold one each and wait.
static BROWSER_SEATS: LazyLock<u32> = LazyLock::new(|| {
    std::env::var("MLP_E2E_BROWSERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(2)
});
static BROWSERS: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(*BROWSER_SEATS as usize));

/// `target/e2e/`: screenshots and the chromedriver log.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| PathBuf::from("target"), |p| p.to_path_buf())
        .join("e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e can be created");
    dir
}

/// Screenshots that the README shows; `MLP_E2E_SCREENSHOTS=docs/screenshots` copies them there.
const README_SCREENSHOTS: &[&str] = &[
    "tokens-page",
    "tokens-page-phone",
    "show-once-dialog",
    "members-page",
    "invitation-page",
];

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Field,
    Button,
    /// A button or a link: what a person clicks.
    Control,
    Dialog,
    Heading,
    Row,
    Option,
    /// A part of the page named for assistive technology: a `<section>` with a name, a `role=region`.
    Region,
}

impl Kind {
    fn js(self) -> &'static str {
        match self {
            Kind::Field => "field",
            Kind::Button => "button",
            Kind::Control => "control",
            Kind::Dialog => "dialog",
            Kind::Heading => "heading",
            Kind::Row => "row",
            Kind::Option => "option",
            Kind::Region => "region",
        }
    }
}

/// One journey's browser: its own profile directory, its own session, its own console log.
pub struct Browser {
    // Field order is drop order: the session (and Chromium) goes before its profile directory.
    pub driver: WebDriver,
    base: String,
    journey: String,
    expected_statuses: Vec<u16>,
    finished: bool,
    _profile: tempfile::TempDir,
    _permit: Option<tokio::sync::SemaphorePermit<'static>>,
}

impl Browser {
    /// A browser with JavaScript on, pointed at `app` (`base` = `http://127.0.0.1:PORT`).
    pub async fn open(journey: &str, base: &str) -> Browser {
        Self::start(journey, base, true, Some(Self::seats(1).await)).await
    }

    /// A second kind of profile: JavaScript disabled by Chrome's content settings, as a person may have it.
    pub async fn open_without_js(journey: &str, base: &str) -> Browser {
        Self::start(journey, base, false, Some(Self::seats(1).await)).await
    }

    /// Two people at once (an owner and a colleague), both with JavaScript on or both off. With a single
    /// seat (`MLP_E2E_BROWSERS=1`) the second browser goes over the limit rather than waiting forever.
    pub async fn open_pair(journeys: [&str; 2], base: &str, javascript: bool) -> [Browser; 2] {
        let mut first = Self::seats(2).await;
        let second = match first.num_permits() {
            1 => None,
            _ => first.split(1),
        };
        let [a, b] = journeys;
        [
            Self::start(a, base, javascript, Some(first)).await,
            Self::start(b, base, javascript, second).await,
        ]
    }

    async fn seats(n: u32) -> tokio::sync::SemaphorePermit<'static> {
        BROWSERS
            .acquire_many(n.min(*BROWSER_SEATS))
            .await
            .expect("the browser semaphore is never closed")
    }

    async fn start(
        journey: &str,
        base: &str,
        javascript: bool,
        permit: Option<tokio::sync::SemaphorePermit<'static>>,
    ) -> Browser {
        let driver_url = &driver::driver().url;
        let profile = tempfile::Builder::new()
            .prefix("mlp-e2e-profile-")
            .tempdir()
            .expect("a temporary profile directory");

        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&driver::driver().chromium.to_string_lossy())
            .expect("binary capability");
        for arg in CHROMIUM_ARGS {
            caps.add_arg(arg).expect("chromium argument");
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
            .expect("chromium argument");
        caps.set_browser_log_level(LoggingPrefsLogLevel::All)
            .expect("logging prefs");
        if !javascript {
            caps.add_experimental_option(
                "prefs",
                json!({ "profile.managed_default_content_settings.javascript": 2 }),
            )
            .expect("chrome prefs");
        }

        let driver = WebDriver::builder(driver_url.as_str(), caps)
            .poller(Arc::new(ElementPollerWithTimeout::new(WAIT, POLL)))
            .request_timeout(Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("[{journey}] cannot start a Chromium session: {e}"));
        // Lookups poll on their own (every 25 ms); an implicit wait would only slow down "is it absent?".
        driver
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(20)),
                Some(Duration::ZERO),
            ))
            .await
            .expect("timeouts");
        Browser {
            driver,
            base: base.trim_end_matches('/').to_owned(),
            journey: journey.to_owned(),
            expected_statuses: Vec::new(),
            finished: false,
            _profile: profile,
            _permit: permit,
        }
    }

    /// The journey provokes this HTTP status on purpose (a 422 form, a 404 page): its console line is fine.
    pub fn expect_status(&mut self, status: u16) {
        self.expected_statuses.push(status);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn goto(&self, path: &str) {
        let url = self.url(path);
        self.driver
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("[{}] cannot open {url}: {e}", self.journey));
    }

    pub async fn path(&self) -> String {
        self.driver
            .current_url()
            .await
            .expect("the current URL")
            .path()
            .to_owned()
    }

    /// Waits until the address bar shows `path` (redirects and form posts take a moment).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!("expected to be on {path}, still on {now}"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn title(&self) -> String {
        self.driver.title().await.expect("the page title")
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns its JSON result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.driver
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("[{}] script failed: {e}\n{script}", self.journey))
            .json()
            .clone()
    }

    /// The whole page as a person can reach it (the open modal dialog, if any, else the document).
    pub fn page(&self) -> Scope<'_> {
        Scope {
            browser: self,
            within: None,
        }
    }

    /// Only inside `element` (a dialog, a row).
    pub fn within<'a>(&'a self, element: &'a WebElement) -> Scope<'a> {
        Scope {
            browser: self,
            within: Some(element),
        }
    }

    pub async fn field(&self, label: &str) -> WebElement {
        self.page().field(label).await
    }
    pub async fn button(&self, name: &str) -> WebElement {
        self.page().button(name).await
    }
    pub async fn dialog(&self, heading: &str) -> WebElement {
        self.page().dialog(heading).await
    }
    pub async fn row(&self, token_name: &str) -> WebElement {
        self.page().row(token_name).await
    }
    pub async fn region(&self, name: &str) -> WebElement {
        self.page().find(Kind::Region, name).await
    }
    pub async fn find_heading(&self, text: &str) -> WebElement {
        self.page().find(Kind::Heading, text).await
    }
    pub async fn fill(&self, label: &str, value: &str) {
        self.page().fill(label, value).await
    }
    pub async fn click(&self, name: &str) {
        self.page().click(name).await
    }
    pub async fn choose(&self, label: &str, option: &str) {
        self.page().choose(label, option).await
    }

    /// Presses a key wherever the focus is, as a person on a keyboard does.
    pub async fn press(&self, key: Key) {
        self.driver
            .action_chain()
            .send_keys(key)
            .perform()
            .await
            .expect("a key press");
    }

    /// Waits until the page has loaded and no htmx request is in flight; then "X is absent" means it.
    pub async fn settle(&self) {
        self.wait_until(
            "the page to settle",
            "return document.readyState === 'complete' && !document.querySelector('.htmx-request');",
        )
        .await;
    }

    /// Polls `script` (returning a boolean) until it is true.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.js(script, vec![]).await == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}")).await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.js("return document.body.innerText;", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.text().await.contains(text) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!("the text {text:?} never appeared"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Is `element` the focused element?
    pub async fn has_focus(&self, element: &WebElement) -> bool {
        self.js(
            "return document.activeElement === arguments[0];",
            vec![element.to_json().expect("element reference")],
        )
        .await
            == Value::Bool(true)
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`).
    pub async fn cdp(&self, command: &str, params: Value) -> Value {
        let response = self
            .driver
            .handle()
            .cmd(thirtyfour::common::command::Command::ExtensionCommand(
                Box::new(Cdp {
                    cmd: command.to_owned(),
                    params,
                }),
            ))
            .await
            .unwrap_or_else(|e| panic!("[{}] CDP {command} failed: {e}", self.journey));
        response.value().unwrap_or(Value::Null)
    }

    /// Opens the Tokens page's triage disclosure ("Leaked token?" or "Deleted tokens") as a person does,
    /// by clicking its summary, unless it is open already.
    pub async fn open_triage(&self) {
        let summary = self
            .driver
            .query(By::Css("details#triage > summary"))
            .first()
            .await
            .unwrap_or_else(|e| panic!("[{}] no triage disclosure: {e}", self.journey));
        let open = self
            .js("return document.getElementById('triage').open;", vec![])
            .await;
        if open != Value::Bool(true) {
            summary.click().await.expect("a click on the disclosure");
            self.wait_until(
                "the triage disclosure to open",
                "return document.getElementById('triage').open;",
            )
            .await;
        }
    }

    /// Lets the page read and write the clipboard, as a person allowing it would (Copy buttons).
    pub async fn grant_clipboard(&self) {
        self.cdp(
            "Browser.grantPermissions",
            json!({
                "origin": self.base,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            }),
        )
        .await;
    }

    /// Shows the page as a screen `width` × `height` CSS pixels would (a phone below 640), from now on.
    pub async fn viewport(&self, width: u32, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 640 }),
        )
        .await;
    }

    /// Light or dark, as the system setting `prefers-color-scheme` says.
    pub async fn color_scheme(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await;
    }

    /// Fails unless the document fits the window's width (nothing scrolls sideways) — the page as it is now.
    pub async fn assert_fits_width(&self, what: &str) {
        let sizes = self
            .js(
                "var d = document.documentElement; return [d.scrollWidth, d.clientWidth, document.body.scrollWidth];",
                vec![],
            )
            .await;
        let [scroll, client, body] = [0, 1, 2].map(|i| sizes[i].as_i64().unwrap_or(i64::MAX));
        if scroll > client || body > client {
            self.fail(&format!(
                "{what} overflows sideways: scrollWidth {scroll} (body {body}) > clientWidth {client}"
            ))
            .await;
        }
    }

    /// Fails unless `element` is displayed, inside the window's width, not covered at its centre, and
    /// enabled: a person can see and use it where it is. Scrolls it into view vertically first.
    pub async fn assert_usable(&self, element: &WebElement, what: &str) {
        let verdict = self
            .js(
                "var el = arguments[0]; el.scrollIntoView({ block: 'center', inline: 'nearest' });
                 var r = el.getBoundingClientRect();
                 if (r.width === 0 || r.height === 0) return 'not displayed';
                 if (r.left < 0 || r.right > document.documentElement.clientWidth + 0.5) return 'outside the width: ' + r.left + '..' + r.right;
                 var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                 if (!hit || !(hit === el || el.contains(hit) || hit.contains(el))) return 'covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing');
                 if (el.disabled) return 'disabled';
                 return 'ok';",
                vec![element.to_json().expect("an element reference")],
            )
            .await;
        if verdict.as_str() != Some("ok") {
            self.fail(&format!("{what} is not usable: {verdict}")).await;
        }
    }

    /// Writes `target/e2e/<name>.png`; the README's two also go to `$MLP_E2E_SCREENSHOTS` when it is set.
    pub async fn screenshot(&self, name: &str) {
        // Park the mouse in an empty corner: where the last click was, a row would show its hover colour.
        self.cdp(
            "Input.dispatchMouseEvent",
            json!({ "type": "mouseMoved", "x": 1, "y": 700 }),
        )
        .await;
        let path = artifacts_dir().join(format!("{name}.png"));
        self.driver
            .screenshot(&path)
            .await
            .unwrap_or_else(|e| panic!("[{}] screenshot {name}: {e}", self.journey));
        if let Some(dir) = std::env::var_os("MLP_E2E_SCREENSHOTS").filter(|d| !d.is_empty()) {
            if README_SCREENSHOTS.contains(&name) {
                let dir = PathBuf::from(dir);
                std::fs::create_dir_all(&dir).expect("the screenshot directory");
                std::fs::copy(&path, dir.join(format!("{name}.png")))
                    .expect("copying a README screenshot");
            }
        }
    }

    /// Runs axe-core on the page as it is now and fails on any `serious` or `critical` violation.
    pub async fn axe(&self, what: &str) {
        self.driver
            .execute(AXE_JS, Vec::<Value>::new())
            .await
            .unwrap_or_else(|e| panic!("[{}] injecting axe-core: {e}", self.journey));
        let result = self
            .driver
            .execute_async(
                r#"
                var done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ["violations"] }).then(function (r) {
                  done({ violations: r.violations.map(function (v) {
                    return { id: v.id, impact: v.impact, help: v.help,
                             targets: v.nodes.map(function (n) { return n.target.join(" "); }) };
                  }) });
                }, function (err) { done({ error: String(err) }); });
                "#,
                Vec::<Value>::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("[{}] running axe-core: {e}", self.journey))
            .json()
            .clone();
        if let Some(error) = result.get("error") {
            panic!("[{}] axe-core failed on {what}: {error}", self.journey);
        }
        let bad: Vec<String> = result["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{} ({}): {} — at {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or(""),
                    v["targets"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        if !bad.is_empty() {
            self.fail(&format!(
                "axe-core found serious/critical violations on {what}:\n  {}",
                bad.join("\n  ")
            ))
            .await;
        }
    }

    /// Reads (and so drains) the browser log and fails on SEVERE entries the journey did not expect.
    /// Returns how many expected entries (provoked statuses) it let through.
    pub async fn check_console(&self) -> usize {
        let entries = self
            .driver
            .browser_log()
            .await
            .unwrap_or_else(|e| panic!("[{}] reading the browser log: {e}", self.journey));
        let severe: Vec<_> = entries.iter().filter(|e| e.level == "SEVERE").collect();
        let expected = severe
            .iter()
            .filter(|e| self.is_expected(e.source.as_deref(), &e.message))
            .count();
        let bad: Vec<String> = severe
            .iter()
            .filter(|e| !self.is_expected(e.source.as_deref(), &e.message))
            .map(|e| {
                format!(
                    "{} [{}] {}",
                    e.level,
                    e.source.as_deref().unwrap_or("?"),
                    e.message
                )
            })
            .collect();
        if !bad.is_empty() {
            self.fail(&format!(
                "errors in the browser console:\n  {}",
                bad.join("\n  ")
            ))
            .await;
        }
        expected
    }

    fn is_expected(&self, source: Option<&str>, message: &str) -> bool {
        source == Some("network")
            && http_status_in(message).is_some_and(|s| self.expected_statuses.contains(&s))
    }

    /// Ends a journey: the console must be clean; then the session is closed.
    pub async fn finish(mut self) {
        self.check_console().await;
        self.finished = true;
        let journey = self.journey.clone();
        self.driver
            .clone()
            .quit()
            .await
            .unwrap_or_else(|e| panic!("[{journey}] closing the browser: {e}"));
    }

    /// Fails the journey with a screenshot of the moment (`target/e2e/<journey>-failure.png`).
    pub async fn fail(&self, message: &str) -> ! {
        let shot = artifacts_dir().join(format!("{}-failure.png", self.journey));
        let _ = self.driver.screenshot(&shot).await;
        let url = self
            .driver
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        panic!(
            "[{}] {message}\n  at {url}\n  screenshot: {}",
            self.journey,
            shot.display()
        );
    }
}

impl Drop for Browser {
    /// A journey that failed half-way still closes its Chromium before its profile directory goes.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let session = self.driver.session_id().to_string();
        // Mark the session as quit so thirtyfour's own (slow) fallback does not run, then end it ourselves.
        let _ = self.driver.clone().leak();
        driver::driver().delete_session(&session);
    }
}

/// "...the server responded with a status of 422 (Unprocessable Content)" → 422
fn http_status_in(message: &str) -> Option<u16> {
    let rest = &message[message.find("status of ")? + "status of ".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Where lookups search: the reachable page, or inside one element.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    browser: &'a Browser,
    within: Option<&'a WebElement>,
}

impl<'a> Scope<'a> {
    /// One lookup, no waiting: `Ok(None)` when nothing matches, `Err` when several do.
    pub async fn locate(&self, kind: Kind, text: &str) -> Result<Option<WebElement>, String> {
        let scope = match self.within {
            Some(el) => el.to_json().map_err(|e| e.to_string())?,
            None => Value::Null,
        };
        let ret = self
            .browser
            .driver
            .execute(FIND_JS, vec![json!(kind.js()), json!(text), scope])
            .await
            .map_err(|e| e.to_string())?;
        match ret.json() {
            Value::Null => Ok(None),
            Value::String(ambiguous) => Err(ambiguous.clone()),
            _ => ret.element().map(Some).map_err(|e| e.to_string()),
        }
    }

    /// Waits for exactly one match.
    pub async fn find(&self, kind: Kind, text: &str) -> WebElement {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = match self.locate(kind, text).await {
                Ok(Some(el)) => return el,
                Ok(None) => "nothing matches".to_owned(),
                Err(e) => e,
            };
            if Instant::now() > deadline {
                self.browser
                    .fail(&format!("no single {kind:?} {text:?}: {last}"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// After the page settled: is there no such thing (for "a viewer sees no create button")?
    pub async fn is_absent(&self, kind: Kind, text: &str) -> bool {
        self.browser.settle().await;
        matches!(self.locate(kind, text).await, Ok(None))
    }

    pub async fn field(&self, label: &str) -> WebElement {
        self.find(Kind::Field, label).await
    }
    pub async fn button(&self, name: &str) -> WebElement {
        self.find(Kind::Button, name).await
    }
    pub async fn dialog(&self, heading: &str) -> WebElement {
        self.find(Kind::Dialog, heading).await
    }
    pub async fn row(&self, token_name: &str) -> WebElement {
        self.find(Kind::Row, token_name).await
    }

    /// Types into the control labelled `label`, replacing what was there.
    pub async fn fill(&self, label: &str, value: &str) {
        let field = self.field(label).await;
        field.clear().await.expect("clearing a field");
        field.send_keys(value).await.expect("typing into a field");
    }

    /// Clicks the button or link named `name`.
    pub async fn click(&self, name: &str) {
        let el = self.find(Kind::Control, name).await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("[{}] clicking {name:?}: {e}", self.browser.journey));
    }

    /// Picks `option` of the choice labelled `label`: a `<select>`'s option, or a radio button's label.
    pub async fn choose(&self, label: &str, option: &str) {
        let control = self.field(label).await;
        let tag = control.tag_name().await.expect("tag name").to_lowercase();
        let inner = Scope {
            browser: self.browser,
            within: Some(&control),
        };
        if tag == "select" {
            let el = inner.find(Kind::Option, option).await;
            el.click().await.expect("choosing an option");
        } else {
            // A radio group: click the option's label, as a person does.
            let radio = inner.field(option).await;
            let radio_label = self
                .browser
                .js(
                    "var r = arguments[0]; return r.labels && r.labels.length ? r.labels[0] : r;",
                    vec![radio.to_json().expect("element reference")],
                )
                .await;
            let radio_label =
                WebElement::from_json(radio_label, self.browser.driver.handle().clone())
                    .expect("a radio button's label");
            radio_label.click().await.expect("choosing a radio button");
            assert!(
                radio.is_selected().await.unwrap_or(false),
                "[{}] {option:?} of {label:?} did not get selected",
                self.browser.journey
            );
        }
    }
}

/// chromedriver's own endpoint for Chrome DevTools Protocol commands.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl ExtensionCommand for Cdp {
    fn parameters_json(&self) -> Option<Value> {
        Some(json!({ "cmd": self.cmd, "params": self.params }))
    }
    // reqwest re-exports the `http` crate's Method, which is what thirtyfour takes.
    fn method(&self) -> reqwest::Method {
        reqwest::Method::POST
    }
    fn endpoint(&self) -> Arc<str> {
        Arc::from("/goog/cdp/execute")
    }
}

#[cfg(test)]
mod unit {
    #[test]
    fn reads_the_status_of_a_network_log_line() {
        assert_eq!(
            super::http_status_in(
                "http://127.0.0.1:1/x - Failed to load resource: the server responded with a status of 422 (Unprocessable Content)"
            ),
            Some(422)
        );
        assert_eq!(super::http_status_in("Uncaught TypeError: x"), None);
    }
}
