//! Static files, compiled into the binary so that one file is the whole service. Pages name each by a
//! fingerprint of its content (`app.3f9c2a1b0d.css`, computed once at start), served as immutable for a
//! year: a new build changes the name, so no browser keeps an old copy.

use crate::web::error::HtmlError;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/htmx.min.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../static/favicon.svg"),
    },
];

/// A fingerprinted name's cache policy: the content under it never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A plain name (`/static/app.css`, `/favicon.ico`: bookmarks, old pages) may change with the next build.
const PLAIN: &str = "public, max-age=3600";

/// Each asset's fingerprinted file name and URL, in the order of `ASSETS`.
static FINGERPRINTED: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let file = fingerprinted(asset.name, asset.body);
            let url = format!("/static/{file}");
            (file, url)
        })
        .collect()
});

/// `app.css` with the first 10 hex digits of its content's SHA-256 before the extension.
fn fingerprinted(name: &str, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hash: String = digest
        .iter()
        .take(5)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    match name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
        None => format!("{name}.{hash}"),
    }
}

/// The URL pages use for the asset `name` (`app.css` → `/static/app.3f9c2a1b0d.css`).
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .position(|asset| asset.name == name)
        .map_or("/static/missing", |i| FINGERPRINTED[i].1.as_str())
}

/// `GET /static/{name}`: a fingerprinted name for a year, a plain one for an hour; anything else is the
/// console's Not found page.
pub async fn serve(name: web::Path<String>) -> Result<HttpResponse, HtmlError> {
    let name = name.as_str();
    let (asset, cache) = ASSETS
        .iter()
        .zip(FINGERPRINTED.iter())
        .find_map(|(asset, (file, _))| {
            if file == name {
                Some((asset, IMMUTABLE))
            } else if asset.name == name {
                Some((asset, PLAIN))
            } else {
                None
            }
        })
        .ok_or(HtmlError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(asset.body))
}

pub async fn favicon() -> Result<HttpResponse, HtmlError> {
    serve(web::Path::from("favicon.svg".to_owned())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_a_fingerprint_of_the_content() {
        let css = url("app.css");
        assert!(
            css.starts_with("/static/app.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/static/app.0123456789.css".len());
        assert_eq!(
            url("htmx.min.js").len(),
            "/static/htmx.min.0123456789.js".len()
        );
        assert_ne!(
            fingerprinted("a.css", b"one"),
            fingerprinted("a.css", b"two")
        );
        assert_eq!(
            fingerprinted("a.css", b"one"),
            fingerprinted("a.css", b"one")
        );
    }
}
