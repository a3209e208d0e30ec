//! The one pager of the console's long lists (the Tokens page, Show deleted, the audit log): which page a
//! query asks for, and the previous/next links of the page shown (`templates/macros.html`'s `pager`).

use crate::service::paging::PAGE_SIZE;
use crate::service::{Page, PageNumber};
use actix_web::web;

/// Previous/next links of a long list.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Previous/next links of `page`; `None` when everything fits on one page. `link(n)` is the URL of
    /// page `n`.
    pub fn of<T>(page: &Page<T>, link: impl Fn(i64) -> String) -> Option<Pager> {
        let (number, total) = (page.number.get(), page.total);
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        if pages <= 1 {
            return None;
        }
        let first = (number - 1) * PAGE_SIZE + 1;
        Some(Pager {
            page: number,
            pages,
            total,
            first,
            last: first + page.rows.len() as i64 - 1,
            prev: (number > 1).then(|| link(number - 1)),
            next: (number < pages).then(|| link(number + 1)),
        })
    }
}

#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<String>,
}

/// Which page `?page=N` asks for; anything unreadable (a repeated field too) is the first.
pub fn requested_page(query: &str) -> PageNumber {
    let query = web::Query::<PageQuery>::from_query(query).ok();
    PageNumber::parse(query.as_ref().and_then(|q| q.page.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(number: &str, total: i64, shown: usize) -> Page<()> {
        Page {
            rows: vec![(); shown],
            total,
            number: PageNumber::parse(Some(number)),
        }
    }

    fn link(p: i64) -> String {
        format!("/list?page={p}")
    }

    #[test]
    fn page_numbers_default_to_the_first() {
        assert_eq!(requested_page("").get(), 1);
        assert_eq!(requested_page("page=3").get(), 3);
        assert_eq!(requested_page("page=0").get(), 1);
        assert_eq!(requested_page("page=abc").get(), 1);
        assert_eq!(requested_page("page=2&page=3").get(), 1);
    }

    #[test]
    fn the_pager_appears_only_for_more_than_one_page() {
        assert!(Pager::of(&page("1", 50, 50), link).is_none());
        let first = Pager::of(&page("1", 60, 50), link).unwrap();
        assert_eq!((first.first, first.last, first.pages), (1, 50, 2));
        assert_eq!(first.prev, None);
        assert_eq!(first.next.as_deref(), Some("/list?page=2"));
        let second = Pager::of(&page("2", 60, 10), link).unwrap();
        assert_eq!((second.first, second.last), (51, 60));
        assert_eq!(second.prev.as_deref(), Some("/list?page=1"));
        assert_eq!(second.next, None);
    }
}
