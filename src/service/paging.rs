//! One page of a long list (the Tokens page, Show deleted, the audit log): which page is asked for, and
//! the rule that a page past the end shows the last one rather than nothing.

use crate::error::AppError;

/// Rows per page of every list.
pub const PAGE_SIZE: i64 = 50;

/// A page number, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber(i64);

impl PageNumber {
    pub const FIRST: PageNumber = PageNumber(1);

    /// `?page=N` as typed: anything unreadable, zero or negative is the first page.
    pub fn parse(text: Option<&str>) -> Self {
        text.and_then(|p| p.trim().parse::<i64>().ok())
            .filter(|&p| p >= 1)
            .map_or(Self::FIRST, PageNumber)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    fn offset(self) -> i64 {
        (self.0 - 1).saturating_mul(PAGE_SIZE)
    }
}

/// The rows of one page, how many there are in all, and which page this is.
#[derive(Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub number: PageNumber,
}

impl<T> Page<T> {
    /// Page `requested` as `fetch(offset, limit)` returns it (rows and total); past the end (e.g. the last
    /// rows were deleted meanwhile), the last page instead.
    pub fn load(
        requested: PageNumber,
        mut fetch: impl FnMut(i64, i64) -> Result<(Vec<T>, i64), AppError>,
    ) -> Result<Self, AppError> {
        let (rows, total) = fetch(requested.offset(), PAGE_SIZE)?;
        if rows.is_empty() && total > 0 {
            let last = PageNumber((total + PAGE_SIZE - 1) / PAGE_SIZE);
            let (rows, total) = fetch(last.offset(), PAGE_SIZE)?;
            return Ok(Page {
                rows,
                total,
                number: last,
            });
        }
        Ok(Page {
            rows,
            total,
            number: requested,
        })
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            total: self.total,
            number: self.number,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_default_to_the_first() {
        let parse = |s| PageNumber::parse(Some(s)).get();
        assert_eq!(PageNumber::parse(None), PageNumber::FIRST);
        assert_eq!(parse("3"), 3);
        assert_eq!(parse(" 2 "), 2);
        assert_eq!(parse("0"), 1);
        assert_eq!(parse("-2"), 1);
        assert_eq!(parse("abc"), 1);
        assert_eq!(parse("99999999999999999999"), 1);
    }

    /// 120 numbered rows, `fetch` style.
    fn fetch(offset: i64, limit: i64) -> Result<(Vec<i64>, i64), AppError> {
        Ok(((offset..120).take(limit as usize).collect(), 120))
    }

    #[test]
    fn a_page_past_the_end_is_the_last_page() {
        let page = Page::load(PageNumber::parse(Some("9")), fetch).unwrap();
        assert_eq!(page.number.get(), 3);
        assert_eq!(page.rows, (100..120).collect::<Vec<_>>());
        let second = Page::load(PageNumber::parse(Some("2")), fetch).unwrap();
        assert_eq!((second.number.get(), second.rows[0]), (2, 50));
        let empty = Page::load(PageNumber::FIRST, |_, _| Ok((Vec::<i64>::new(), 0))).unwrap();
        assert_eq!((empty.number, empty.total), (PageNumber::FIRST, 0));
    }
}
