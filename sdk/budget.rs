//! The server's rate budget, followed ([`Pacing::from_server`](crate::Pacing::from_server)):
//! every answer of the Botpress API carries `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset` (seconds; the "Rate limiting" page of the API reference,
//! <https://botpress.com/docs/api-reference/ratelimiting>), and a client that reads them can
//! stop *before* the budget runs out instead of meeting `429`s and retrying.
//!
//! One [`Budget`] per bot and token, shared by every clone of a client that sends them:
//!
//! - Until the first answer, one request at a time goes (the probe): a budget another program
//!   has already spent is learned before a fan-out spends more.
//! - A window's budget is `RateLimit-Limit` less the requests this client sent in it (counted
//!   here, exactly: answers come back out of order, so their `Remaining` alone would let
//!   too many go) less what the server counts that this client did not send (another
//!   program with the same bot and token, or the previous window's requests still in a
//!   longer window): `Limit − Remaining − sent`, when positive, from any answer to a request
//!   of this window.
//! - When nothing is left, requests wait until the latest reset any answer of the window
//!   announced (the service rounds it up to whole seconds, and the last answer comes after
//!   the last request was counted, so by then the window's requests have left it), and a new
//!   window begins, holding the requests still in flight.
//! - Answers without the headers (a server with no limiter) leave pacing off for that
//!   budget; a `429` is an answer like any other (`Remaining: 0`).

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::pacing::DeadlineExceeded;

/// The shortest reset assumed after a window passes with no new answer.
const MIN_WINDOW: Duration = Duration::from_secs(1);

/// What tells budgets apart: the bot id and a keyed hash of the token.
type Key = (Option<String>, u64);

/// The budgets of a client and its clones, one per bot and token.
#[derive(Debug, Default)]
pub(crate) struct Budgets {
    /// Keyed by the bot id and a keyed hash of the token (the token itself is not kept).
    by_identity: Mutex<HashMap<Key, Weak<Budget>>>,
    hasher: RandomState,
}

impl Budgets {
    /// The budget of requests sent for `bot` with `token`, shared with every other holder.
    pub(crate) fn of(&self, bot: Option<&str>, token: Option<&str>) -> Arc<Budget> {
        let key = (bot.map(str::to_owned), self.hasher.hash_one(token));
        let mut map = self
            .by_identity
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(budget) = map.get(&key).and_then(Weak::upgrade) {
            return budget;
        }
        map.retain(|_, budget| budget.strong_count() > 0);
        let budget = Arc::new(Budget::default());
        map.insert(key, Arc::downgrade(&budget));
        budget
    }
}

/// One bot's rate budget as the server last told it; see the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct Budget {
    state: Mutex<State>,
    /// Woken when a waiting request may go: the probe answered or the budget grew.
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Attempts let through so far (the next one's sequence number).
    sent: u64,
    /// Attempts let through and not answered yet.
    in_flight: u64,
    /// Requests waiting for an answer to change the budget.
    waiting: usize,
    view: View,
}

#[derive(Debug, Default)]
enum View {
    /// No answer yet: one request at a time until one comes.
    #[default]
    Unknown,
    /// The probe is out.
    Probing,
    /// The server sends no budget: nothing to follow.
    Absent,
    Known(Window),
}

/// The current window of a known budget.
#[derive(Debug)]
struct Window {
    limit: u64,
    /// The sequence number of the window's first request: answers to older ones say nothing
    /// of it.
    first: u64,
    /// Requests this client sent in the window.
    sent: u64,
    /// Requests the server counted in the window that this client did not send (at least).
    others: u64,
    /// When the window's requests have left it.
    reset_at: Instant,
    /// `reset_at` is a guess (the last window's length) until the window's first answer.
    guessed: bool,
    /// The longest reset announced, the guess for the next window.
    length: Duration,
}

impl Window {
    /// Begins a new window when the current one has passed.
    fn roll(&mut self, sent: u64, in_flight: u64, now: Instant) {
        if now >= self.reset_at {
            self.first = sent;
            // The requests still in flight may be counted in the new window.
            self.sent = in_flight;
            self.others = 0;
            self.reset_at = now + self.length;
            self.guessed = true;
        }
    }

    /// Requests that may still go in this window.
    fn available(&self) -> u64 {
        self.limit
            .saturating_sub(self.sent)
            .saturating_sub(self.others)
    }

    /// Takes in an answer to a request of this window.
    fn observe(&mut self, o: &Observed, now: Instant) {
        let reset_at = now + o.reset;
        self.reset_at = if self.guessed {
            reset_at
        } else {
            self.reset_at.max(reset_at)
        };
        self.guessed = false;
        self.length = self.length.max(o.reset);
        self.limit = o.limit;
        let counted = o.limit.saturating_sub(o.remaining);
        self.others = self.others.max(counted.saturating_sub(self.sent));
    }
}

/// What a request is to do now.
enum Turn {
    Go { probe: bool },
    WaitUntil(Instant),
    WaitForAnswer,
}

/// The budget's headers of an answer.
struct Observed {
    limit: u64,
    remaining: u64,
    reset: Duration,
}

impl Observed {
    fn read(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &str| -> Option<f64> {
            let value = headers
                .get(name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<f64>()
                .ok()?;
            (value.is_finite() && value >= 0.0).then_some(value)
        };
        Some(Self {
            limit: number("ratelimit-limit")? as u64,
            remaining: number("ratelimit-remaining")? as u64,
            reset: Duration::try_from_secs_f64(number("ratelimit-reset")?).ok()?,
        })
    }
}

impl Budget {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the budget lets one more request go; gives up (taking nothing) when that
    /// cannot be before `deadline`.
    pub(crate) async fn acquire(
        self: &Arc<Self>,
        deadline: Option<Instant>,
    ) -> Result<Ticket, DeadlineExceeded> {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the state is read, so a change in between is not missed.
            notified.as_mut().enable();
            let turn = {
                let mut state = self.lock();
                let now = Instant::now();
                let turn = state.turn(now);
                match turn {
                    Turn::Go { probe } => {
                        let seq = state.sent - 1;
                        return Ok(Ticket {
                            budget: self.clone(),
                            seq,
                            probe,
                            done: false,
                        });
                    }
                    Turn::WaitUntil(at) if deadline.is_some_and(|d| at > d) => {
                        return Err(DeadlineExceeded);
                    }
                    _ => state.waiting += 1,
                }
                turn
            };
            let woke = Waiting(self);
            let until = match turn {
                Turn::WaitUntil(at) => Some(at),
                _ => deadline,
            };
            let timed_out = match until {
                Some(at) => tokio::time::timeout_at(at, &mut notified).await.is_err(),
                None => {
                    notified.await;
                    false
                }
            };
            drop(woke);
            if timed_out && matches!(turn, Turn::WaitForAnswer) {
                return Err(DeadlineExceeded);
            }
        }
    }

    /// Takes in what the answer to request `seq` says of the budget.
    fn observe(&self, seq: u64, headers: Option<&HeaderMap>, probe: bool) {
        let observed = headers.and_then(Observed::read);
        let mut state = self.lock();
        let now = Instant::now();
        state.in_flight = state.in_flight.saturating_sub(1);
        let before = state.available(now);
        let was_known = matches!(state.view, View::Known(_));
        let (sent, in_flight) = (state.sent, state.in_flight);
        match (&mut state.view, observed) {
            (View::Known(window), Some(o)) => {
                window.roll(sent, in_flight, now);
                if seq >= window.first {
                    window.observe(&o, now);
                }
            }
            (view, Some(o)) => {
                // The first answer: the window holds every request sent so far.
                let mut window = Window {
                    limit: o.limit,
                    first: 0,
                    sent,
                    others: 0,
                    reset_at: now,
                    guessed: true,
                    length: MIN_WINDOW,
                };
                window.observe(&o, now);
                *view = View::Known(window);
            }
            (view @ (View::Unknown | View::Probing), None) if probe => {
                // Answered without a budget: there is nothing to follow. With no answer at
                // all, the next request probes again.
                *view = if headers.is_some() {
                    View::Absent
                } else {
                    View::Unknown
                };
            }
            _ => {}
        }
        let after = state.available(now);
        // Waiters wake when they may go, or when the probe ended (they wait for nothing else).
        let wake = state.waiting > 0 && (after > before || !was_known);
        drop(state);
        if wake {
            self.changed.notify_waiters();
        }
    }
}

impl State {
    fn turn(&mut self, now: Instant) -> Turn {
        let (sent, in_flight) = (self.sent, self.in_flight);
        let turn = match &mut self.view {
            View::Unknown => {
                self.view = View::Probing;
                Turn::Go { probe: true }
            }
            View::Probing => return Turn::WaitForAnswer,
            View::Absent => Turn::Go { probe: false },
            View::Known(window) => {
                window.roll(sent, in_flight, now);
                if window.available() == 0 {
                    return Turn::WaitUntil(window.reset_at);
                }
                window.sent += 1;
                Turn::Go { probe: false }
            }
        };
        self.sent += 1;
        self.in_flight += 1;
        turn
    }

    /// Requests that may go now (`u64::MAX` when the budget does not hold them back).
    fn available(&mut self, now: Instant) -> u64 {
        let (sent, in_flight) = (self.sent, self.in_flight);
        match &mut self.view {
            View::Known(window) => {
                window.roll(sent, in_flight, now);
                window.available()
            }
            View::Absent | View::Unknown => u64::MAX,
            View::Probing => 0,
        }
    }
}

/// Counts a waiting request while it waits.
struct Waiting<'a>(&'a Budget);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.lock().waiting -= 1;
    }
}

/// One request let through by a [`Budget`]: give it the answer's headers with
/// [`Ticket::answered`]; dropped unanswered (no answer came, or the call was cancelled), it
/// counts as answered without a budget, and frees the probe for the next request.
#[derive(Debug)]
pub(crate) struct Ticket {
    budget: Arc<Budget>,
    seq: u64,
    probe: bool,
    done: bool,
}

impl Ticket {
    /// The request was answered with `headers` (`None`: no answer came).
    pub(crate) fn answered(mut self, headers: Option<&HeaderMap>) {
        self.done = true;
        self.budget.observe(self.seq, headers, self.probe);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.done {
            self.budget.observe(self.seq, None, self.probe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(limit: u64, remaining: u64, reset: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("ratelimit-limit", limit.into());
        h.insert("ratelimit-remaining", remaining.into());
        h.insert("ratelimit-reset", reset.into());
        h
    }

    async fn go(budget: &Arc<Budget>) -> Ticket {
        tokio::time::timeout(Duration::from_millis(1), budget.acquire(None))
            .await
            .expect("goes at once")
            .expect("no deadline")
    }

    async fn waits(budget: &Arc<Budget>) -> bool {
        tokio::time::timeout(Duration::from_millis(1), budget.acquire(None))
            .await
            .is_err()
    }

    #[tokio::test(start_paused = true)]
    async fn one_probe_then_the_announced_budget() {
        let budget = Arc::new(Budget::default());
        let probe = go(&budget).await;
        assert!(probe.probe);
        assert!(waits(&budget).await, "one request until the first answer");
        probe.answered(Some(&headers(10, 3, 1)));
        let tickets = [go(&budget).await, go(&budget).await, go(&budget).await];
        assert!(waits(&budget).await, "3 left after the probe");
        // An answer to the first of the three: 2 left, and two more were sent since.
        let [a, b, c] = tickets;
        a.answered(Some(&headers(10, 2, 1)));
        assert!(waits(&budget).await);
        drop((b, c));
        // The window passes: full again.
        tokio::time::advance(Duration::from_secs(1)).await;
        for _ in 0..10 {
            go(&budget).await.answered(None);
        }
        assert!(waits(&budget).await);
    }

    #[tokio::test(start_paused = true)]
    async fn answers_out_of_order_do_not_let_more_go() {
        let budget = Arc::new(Budget::default());
        go(&budget).await.answered(Some(&headers(5, 4, 1)));
        let first = go(&budget).await;
        let second = go(&budget).await;
        // The second arrived first: 4 left after it, but `first` is yet to be counted.
        second.answered(Some(&headers(5, 3, 1)));
        let _a = go(&budget).await;
        let _b = go(&budget).await;
        assert!(waits(&budget).await, "5 sent in the window");
        // A later reset announced by any answer of the window is kept.
        first.answered(Some(&headers(5, 1, 2)));
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert!(waits(&budget).await);
        tokio::time::advance(Duration::from_millis(600)).await;
        let _c = go(&budget).await;
    }

    #[tokio::test(start_paused = true)]
    async fn what_others_spent_is_learned_from_the_server() {
        let budget = Arc::new(Budget::default());
        // 8 counted when only the probe was ours: 2 left for this client.
        go(&budget).await.answered(Some(&headers(10, 2, 1)));
        let _a = go(&budget).await;
        let _b = go(&budget).await;
        assert!(waits(&budget).await);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_from_the_last_window_says_nothing_of_this_one() {
        let budget = Arc::new(Budget::default());
        go(&budget).await.answered(Some(&headers(3, 2, 1)));
        let late = go(&budget).await;
        tokio::time::advance(Duration::from_secs(1)).await;
        // The new window holds the request still in flight.
        let _c = go(&budget).await;
        // The late answer saw the last window full; it does not stop this one.
        late.answered(Some(&headers(3, 0, 1)));
        let _d = go(&budget).await;
        assert!(waits(&budget).await, "late, c and d in the window");
    }

    #[tokio::test(start_paused = true)]
    async fn no_headers_means_no_pacing_and_a_lost_probe_is_replaced() {
        let budget = Arc::new(Budget::default());
        drop(go(&budget).await);
        let probe = go(&budget).await;
        assert!(probe.probe, "the dropped probe is replaced");
        probe.answered(Some(&HeaderMap::new()));
        for _ in 0..100 {
            let ticket = go(&budget).await;
            assert!(!ticket.probe);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_stops_at_the_deadline_taking_nothing() {
        let budget = Arc::new(Budget::default());
        go(&budget).await.answered(Some(&headers(1, 0, 5)));
        let deadline = Instant::now() + Duration::from_secs(1);
        assert!(budget.acquire(Some(deadline)).await.is_err());
        tokio::time::advance(Duration::from_secs(5)).await;
        let _t = go(&budget).await;
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_go_when_the_probe_answers() {
        let budget = Arc::new(Budget::default());
        let probe = go(&budget).await;
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let budget = budget.clone();
                tokio::spawn(async move { budget.acquire(None).await.map(|t| t.seq) })
            })
            .collect();
        tokio::task::yield_now().await;
        probe.answered(Some(&headers(100, 99, 1)));
        let mut seqs = Vec::new();
        for w in waiters {
            seqs.push(w.await.unwrap().unwrap());
        }
        seqs.sort();
        assert_eq!(seqs, [1, 2, 3]);
    }

    #[test]
    fn the_same_bot_and_token_share_a_budget() {
        let budgets = Budgets::default();
        let a = budgets.of(Some("bot_a"), Some("t1"));
        assert!(Arc::ptr_eq(&a, &budgets.of(Some("bot_a"), Some("t1"))));
        assert!(!Arc::ptr_eq(&a, &budgets.of(Some("bot_b"), Some("t1"))));
        assert!(!Arc::ptr_eq(&a, &budgets.of(Some("bot_a"), Some("t2"))));
        assert!(!Arc::ptr_eq(&a, &budgets.of(None, Some("t1"))));
        // A budget nobody holds any more is let go.
        drop(a);
        let _b = budgets.of(Some("bot_c"), None);
        assert_eq!(budgets.by_identity.lock().unwrap().len(), 1);
    }
}
