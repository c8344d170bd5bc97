//! Jamf's paged lists, walked to the end within caps on pages and bytes.

use serde::de::DeserializeOwned;

use super::body::decode;
use super::client::{Authn, Refresh, Route};
use super::error::JamfError;
use super::model::Page;

/// The largest page the server honours; it clamps larger requests silently.
pub const PAGE_SIZE: usize = 2000;
/// Pages of one list walked at most, against a server whose `totalCount` is never
/// reached. 5,000 full pages are 10 million records, far beyond any school's Jamf.
pub const MAX_LIST_PAGES: usize = 5_000;
/// Bytes of one list read at most, all its pages together: each page is limited on its
/// own, but a server that pages forever would otherwise be read until the deadline.
pub const MAX_LIST_BYTES: u64 = 256 * 1024 * 1024;

/// What one list has cost so far, held against `MAX_LIST_PAGES` and `MAX_LIST_BYTES`.
#[derive(Default)]
struct ListBudget {
    pages: usize,
    bytes: u64,
}

impl ListBudget {
    /// The number of the next page to ask for, or `decode` once the list has had
    /// `MAX_LIST_PAGES` pages.
    fn next_page(&mut self, endpoint: &str) -> Result<usize, JamfError> {
        if self.pages >= MAX_LIST_PAGES {
            return Err(JamfError::Decode {
                endpoint: endpoint.to_owned(),
                detail: format!(
                    "the list runs past the cap of {MAX_LIST_PAGES} pages without reaching its totalCount"
                ),
            });
        }
        self.pages += 1;
        Ok(self.pages - 1)
    }

    /// Counts a page's bytes, or `decode` once the list's pages add up to more than
    /// `MAX_LIST_BYTES`.
    fn add_bytes(&mut self, endpoint: &str, bytes: usize) -> Result<(), JamfError> {
        self.bytes = self
            .bytes
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
        if self.bytes > MAX_LIST_BYTES {
            return Err(JamfError::Decode {
                endpoint: endpoint.to_owned(),
                detail: format!(
                    "the list runs past the cap of {} MiB in total over its pages",
                    MAX_LIST_BYTES / (1024 * 1024)
                ),
            });
        }
        Ok(())
    }
}

impl Refresh<'_> {
    /// Walks a paged list with the largest page size, stopping when `totalCount` items
    /// have arrived (never inferring the page count from the size asked for). A list
    /// past `MAX_LIST_PAGES` pages or `MAX_LIST_BYTES` fails as `decode`.
    pub async fn get_all_pages<T: DeserializeOwned>(
        &self,
        route: &Route,
        sort: &str,
    ) -> Result<Vec<T>, JamfError> {
        let mut items: Vec<T> = Vec::new();
        let mut budget = ListBudget::default();
        loop {
            let page = budget.next_page(route.template)?;
            let query = [
                ("page", page.to_string()),
                ("page-size", PAGE_SIZE.to_string()),
                ("sort", sort.to_owned()),
            ];
            let body = self.get_ok(route, &query, Authn::Bearer).await?;
            // Counted before decoding, so the page past the cap is never decoded.
            budget.add_bytes(route.template, body.len())?;
            let answer: Page<T> = decode(route.template, &body)?;
            let received = answer.results.len();
            items.extend(answer.results);
            let done = match answer.total_count {
                Some(total) => items.len() as u64 >= total || received == 0,
                None => received == 0,
            };
            if done {
                return Ok(items);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_fails_as_decode_after_its_five_thousandth_page() {
        let mut budget = ListBudget::default();
        for expected in 0..MAX_LIST_PAGES {
            assert_eq!(budget.next_page("/x").ok(), Some(expected));
        }
        let error = budget.next_page("/x").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "/x: cannot decode the response (the list runs past the cap of 5000 pages \
                 without reaching its totalCount)"
            )
        );
    }

    #[test]
    fn a_list_fails_as_decode_past_256_mib_over_all_its_pages() {
        let mut budget = ListBudget::default();
        let page = 64 * 1024 * 1024;
        for _ in 0..4 {
            assert!(
                budget.add_bytes("/x", page).is_ok(),
                "256 MiB exactly is fine"
            );
        }
        let error = budget.add_bytes("/x", 1).err();
        assert_eq!(
            error.as_ref().map(JamfError::reason),
            Some(crate::jamf::Reason::Decode)
        );
        assert_eq!(
            error.map(|e| e.to_string()).as_deref(),
            Some(
                "/x: cannot decode the response (the list runs past the cap of 256 MiB in total \
                 over its pages)"
            )
        );
    }
}
