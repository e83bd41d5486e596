//! Pagination: `.stream()` and `.pages()` on the builder of every list operation.
//!
//! Botpress lists page by cursor (`nextToken` query parameter, `meta.nextToken` in the
//! response, absent on the last page) and table rows page by offset (`offset`/`limit` in the
//! body, `hasMore` in the response). Which operations do what is derived from the OpenAPI
//! document by `build.rs` (`$OUT_DIR/pagination.rs`); every row of that table becomes an
//! implementation of [`Paginate`] for the operation's generated builder, so a list operation
//! added to the document is paginated without any code here.
//!
//! ```no_run
//! use botpress::paginate::Paginate;
//! use futures::TryStreamExt;
//! # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
//! // Every conversation tagged `topic=billing`, 50 per request, at most 500 in total,
//! // the next page requested while the current one is consumed.
//! let conversations: Vec<_> = client
//!     .list_conversations()
//!     .tags([("topic", "billing")])
//!     .page_size(50)
//!     .stream()
//!     .limit(500)
//!     .prefetch(true)
//!     .try_collect()
//!     .await?;
//!
//! // Whole pages, as the service sent them.
//! let mut pages = client.list_users().pages();
//! while let Some(page) = pages.try_next().await? {
//!     println!("{} users, more: {}", page.users.len(), page.meta.next_token.is_some());
//! }
//! # Ok(()) }
//! ```
//!
//! Guarantees of one traversal:
//! - lazy: a page is requested only when its items are needed (or, with
//!   [`Items::prefetch`], as soon as the previous page arrived);
//! - [`Items::limit`] stops requesting once the limit is reached;
//! - the caller's filters are repeated on every page (the builder is cloned, only the cursor
//!   changes);
//! - an item already yielded is not yielded again even when the service's pages overlap
//!   (deduplicated by [`Paginate::item_key`]: the item's `id`, or its value for strings; the
//!   stream keeps a 128-bit fingerprint of each key, not the key, so its memory stays small:
//!   about 2 MB for 100,000 items);
//! - an empty page that still has a next cursor is followed;
//! - a cursor that comes back a second time ends the traversal with
//!   an [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) error instead of
//!   looping forever.
use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::{FutureExt, Stream};

use crate::helper_error::invalid_input;
use crate::operations;
use crate::types;

/// The result of fetching one page.
pub type PageResult<P> = crate::Result<P>;

/// A list operation's builder that can walk all pages. Implemented for every generated list
/// builder (`botpress::operations::ListConversations`, …, `FindTableRows`) from the table
/// `build.rs` derives from the document; use [`stream`](Paginate::stream) and
/// [`pages`](Paginate::pages).
pub trait Paginate: Clone + Send + Sized {
    /// One page: the operation's response type.
    type Page: Send + 'static;
    /// One item of a page.
    type Item: Send + 'static;
    /// What selects a page: the `nextToken` string, or the row offset.
    type Cursor: Clone + Eq + Hash + Debug + Send + Unpin + 'static;

    /// This request, for the page at `cursor`.
    fn with_cursor(self, cursor: Self::Cursor) -> Self;
    /// The cursor of the page after `page`, `None` on the last page.
    fn next_cursor(page: &Self::Page) -> Option<Self::Cursor>;
    /// The items of `page`.
    fn page_items(page: &Self::Page) -> &[Self::Item];
    /// The items of `page`, by value.
    fn into_items(page: Self::Page) -> Vec<Self::Item>;
    /// The identity used to skip an item seen earlier in the same traversal: the `id` of a
    /// resource, the value of a string; `None` never deduplicates.
    fn item_key(item: &Self::Item) -> Option<String>;
    /// Sends this request. The future owns a clone of the client, so it may be spawned.
    fn fetch(self) -> BoxFuture<'static, PageResult<Self::Page>>;

    /// A lazy stream of whole pages, as the service sent them.
    fn pages(self) -> Pages<Self> {
        Pages::new(self)
    }

    /// A lazy stream of the items of every page, deduplicated.
    fn stream(self) -> Items<Self> {
        Items {
            pages: Pages::new(self),
            buffer: VecDeque::new(),
            seen: SeenKeys::default(),
            yielded: 0,
            limit: None,
        }
    }
}

/// A request in flight: polled by the stream, or running on its own task (prefetch).
enum InFlight<P> {
    Inline(BoxFuture<'static, PageResult<P>>),
    Spawned(tokio::task::JoinHandle<PageResult<P>>),
}

impl<P> InFlight<P> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<PageResult<P>> {
        match self {
            Self::Inline(f) => f.poll_unpin(cx),
            Self::Spawned(handle) => handle.poll_unpin(cx).map(|joined| match joined {
                Ok(result) => result,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(invalid_input(format!("the page request task stopped: {e}"))),
            }),
        }
    }
}

impl<P> Drop for InFlight<P> {
    fn drop(&mut self) {
        if let Self::Spawned(handle) = self {
            handle.abort();
        }
    }
}

/// Where a traversal stands.
enum Next<C> {
    /// The first page: the request exactly as the caller built it.
    First,
    /// The page at this cursor.
    At(C),
    /// No more pages.
    Done,
}

/// A lazy stream of whole pages; see [`Paginate::pages`].
#[must_use = "streams do nothing unless polled"]
pub struct Pages<B: Paginate> {
    request: B,
    next: Next<B::Cursor>,
    in_flight: Option<InFlight<B::Page>>,
    seen: HashSet<B::Cursor>,
    /// An error to report after the page that revealed it.
    pending_error: Option<crate::Error>,
    /// Stop requesting once this many items were received.
    limit: Option<u64>,
    received: u64,
    prefetch: bool,
}

impl<B: Paginate> Pages<B> {
    fn new(request: B) -> Self {
        Self {
            request,
            next: Next::First,
            in_flight: None,
            seen: HashSet::new(),
            pending_error: None,
            limit: None,
            received: 0,
            prefetch: false,
        }
    }

    /// Stops requesting pages once `n` items (counted over whole pages) were received; the
    /// page that reaches `n` is yielded whole.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// With `true`, the next page is requested (on its own task) as soon as a page arrives,
    /// while the caller consumes it. Needs a Tokio runtime (as the client does).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    fn wants_more(&self) -> bool {
        self.limit.is_none_or(|l| self.received < l)
    }

    /// Starts the request for the next page, if there is one.
    fn start(&mut self, spawn: bool) {
        let request = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Done => return,
            Next::First => self.request.clone(),
            Next::At(cursor) => self.request.clone().with_cursor(cursor),
        };
        let fetch = request.fetch();
        self.in_flight = Some(if spawn {
            InFlight::Spawned(tokio::spawn(fetch))
        } else {
            InFlight::Inline(fetch)
        });
    }

    fn on_page(&mut self, page: &B::Page) {
        self.received += B::page_items(page).len() as u64;
        self.next = match B::next_cursor(page) {
            None => Next::Done,
            Some(cursor) if !self.seen.insert(cursor.clone()) => {
                self.pending_error = Some(invalid_input(format!(
                    "pagination stopped: the service returned the cursor {cursor:?} a second \
                     time; following it would loop forever"
                )));
                Next::Done
            }
            Some(cursor) => Next::At(cursor),
        };
        if self.prefetch && self.wants_more() {
            self.start(true);
        }
    }
}

impl<B: Paginate + Unpin> Stream for Pages<B> {
    type Item = crate::Result<B::Page>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.in_flight.is_none() {
            if let Some(e) = this.pending_error.take() {
                return Poll::Ready(Some(Err(e)));
            }
            if !this.wants_more() {
                return Poll::Ready(None);
            }
            this.start(false);
        }
        let Some(in_flight) = this.in_flight.as_mut() else {
            return Poll::Ready(None);
        };
        let result = std::task::ready!(in_flight.poll(cx));
        this.in_flight = None;
        match result {
            Ok(page) => {
                this.on_page(&page);
                Poll::Ready(Some(Ok(page)))
            }
            Err(e) => {
                this.next = Next::Done;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

/// A lazy stream of items across pages; see [`Paginate::stream`].
#[must_use = "streams do nothing unless polled"]
pub struct Items<B: Paginate> {
    pages: Pages<B>,
    buffer: VecDeque<B::Item>,
    seen: SeenKeys,
    yielded: u64,
    limit: Option<u64>,
}

impl<B: Paginate> Items<B> {
    /// Yields at most `n` items in total and stops requesting pages once they are in hand
    /// (the documented client's `limit`).
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self.pages = self.pages.limit(n);
        self
    }

    /// With `true`, the next page is requested (on its own task) as soon as a page arrives,
    /// while its items are consumed. Needs a Tokio runtime (as the client does).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.pages = self.pages.prefetch(on);
        self
    }
}

impl<B: Paginate + Unpin> Stream for Items<B>
where
    B::Item: Unpin,
{
    type Item = crate::Result<B::Item>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.limit.is_some_and(|l| this.yielded >= l) {
                return Poll::Ready(None);
            }
            while let Some(item) = this.buffer.pop_front() {
                if let Some(key) = B::item_key(&item)
                    && !this.seen.insert(&key)
                {
                    continue;
                }
                this.yielded += 1;
                return Poll::Ready(Some(Ok(item)));
            }
            // The pages stop at a count of raw items: when duplicates were skipped, more
            // items are needed than the pages received so far.
            if let Some(l) = this.limit {
                this.pages.limit = Some(this.pages.received + (l - this.yielded));
            }
            match std::task::ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.buffer.extend(B::into_items(page)),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}

/// The item keys a stream has yielded, as 128-bit fingerprints: two SipHash values under
/// independent random keys (chosen per stream). Two different keys share a fingerprint with
/// probability about n²/2¹²⁹ (≈ 3·10⁻²⁹ for 100,000 items), so no item is wrongly skipped in
/// practice, while memory is ~20 bytes an item instead of the key itself.
#[derive(Default)]
struct SeenKeys {
    high: RandomState,
    low: RandomState,
    fingerprints: HashSet<u128>,
}

impl SeenKeys {
    /// Records `key`; `false` when it was seen before.
    fn insert(&mut self, key: &str) -> bool {
        let fingerprint =
            (u128::from(self.high.hash_one(key)) << 64) | u128::from(self.low.hash_one(key));
        self.fingerprints.insert(fingerprint)
    }
}

/// The dedupe key of an item, per the `key(..)` column of the derived table.
macro_rules! item_key {
    ($item:ident, self) => {
        Some(::std::string::ToString::to_string($item))
    };
    ($item:ident, $field:ident) => {
        Some(::std::string::ToString::to_string(&$item.$field))
    };
    ($item:ident,) => {{
        let _ = $item;
        None
    }};
}

/// Implements [`Paginate`] for builders of operations that page by `nextToken`.
macro_rules! cursor_list {
    ($($op:ident: $builder:ident, $method:ident, $page:ty, $field:ident, $item:ty, key($($key:tt)*);)*) => {
        $(
            #[doc = concat!("`", stringify!($op), "` pages by `nextToken`: `client.", stringify!($method), "().stream()`.")]
            impl Paginate for operations::$builder {
                type Page = $page;
                type Item = $item;
                type Cursor = String;

                fn with_cursor(self, cursor: String) -> Self {
                    self.next_token(cursor)
                }
                fn next_cursor(page: &$page) -> Option<String> {
                    page.meta.next_token.clone().filter(|t| !t.is_empty())
                }
                fn page_items(page: &$page) -> &[$item] {
                    &page.$field
                }
                fn into_items(page: $page) -> Vec<$item> {
                    page.$field
                }
                fn item_key(item: &$item) -> Option<String> {
                    item_key!(item, $($key)*)
                }
                fn fetch(self) -> BoxFuture<'static, PageResult<$page>> {
                    Box::pin(self.send())
                }
            }
        )*
    };
}

/// Implements [`Paginate`] for builders of operations that page by `offset`/`hasMore`.
macro_rules! offset_list {
    ($($op:ident: $builder:ident, $method:ident, $page:ty, $field:ident, $item:ty, key($($key:tt)*);)*) => {
        $(
            #[doc = concat!("`", stringify!($op), "` pages by `offset`/`hasMore`: `client.", stringify!($method), "().stream()`.")]
            impl Paginate for operations::$builder {
                type Page = $page;
                type Item = $item;
                type Cursor = i64;

                fn with_cursor(self, offset: i64) -> Self {
                    self.offset(offset)
                }
                fn next_cursor(page: &$page) -> Option<i64> {
                    page.has_more.then(|| page.offset + page.$field.len() as i64)
                }
                fn page_items(page: &$page) -> &[$item] {
                    &page.$field
                }
                fn into_items(page: $page) -> Vec<$item> {
                    page.$field
                }
                fn item_key(item: &$item) -> Option<String> {
                    item_key!(item, $($key)*)
                }
                fn fetch(self) -> BoxFuture<'static, PageResult<$page>> {
                    Box::pin(self.send())
                }
            }
        )*
    };
}

include!(concat!(env!("OUT_DIR"), "/pagination.rs"));

#[cfg(test)]
mod tests {
    use super::SeenKeys;

    #[test]
    fn seen_keys_tell_repeats_from_new_keys() {
        let mut seen = SeenKeys::default();
        assert!(seen.insert("msg_1"));
        assert!(seen.insert("msg_2"));
        assert!(seen.insert(""));
        assert!(!seen.insert("msg_1"));
        assert!(!seen.insert(""));
        // Many distinct keys, differing in one character: every one is new, once.
        let keys: Vec<String> = (0..100_000).map(|i| format!("msg_{i:08}")).collect();
        assert!(keys.iter().all(|k| seen.insert(k)));
        assert!(keys.iter().all(|k| !seen.insert(k)));
        assert_eq!(seen.fingerprints.len(), 100_003);
    }
}
