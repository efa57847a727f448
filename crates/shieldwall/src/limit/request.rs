//! What a call asks for ([`Request`]) and what it really used ([`Usage`]).

use smallvec::SmallVec;

use super::Unit;
use super::policy::{GLOBAL_SCOPE, KEY_SCOPE};

/// One call to check: its API key, other scope values, and its costs.
///
/// # Example
/// ```
/// use shieldwall::limit::{Request, Unit};
///
/// let req = Request::new("sk-1").scope("account", "acme").scope("ip", "203.0.113.0/24").tokens(1500);
/// assert_eq!(req.value("key"), Some("sk-1"));
/// assert_eq!(req.value("account"), Some("acme"));
/// assert_eq!(req.cost(Unit::Requests), 1);
/// assert_eq!(req.cost(Unit::Tokens), 1500);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    key: &'a str,
    /// Scope values other than the key; two inline (the Guard's account and IP), so that
    /// building a request does not allocate.
    scopes: SmallVec<[(&'a str, &'a str); 2]>,
    requests: u64,
    tokens: u64,
}

impl<'a> Request<'a> {
    /// A request by API key `key` (the `"key"` scope), costing one request and no tokens.
    ///
    /// # Example
    /// ```
    /// let req = shieldwall::limit::Request::new("sk-1");
    /// assert_eq!(req.value("key"), Some("sk-1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(key: &'a str) -> Self {
        Self {
            key,
            scopes: SmallVec::new(),
            requests: 1,
            tokens: 0,
        }
    }

    /// Adds the value of another scope (an account, an IP prefix…). A later value for the same
    /// scope replaces an earlier one. The `"global"` scope ([`GLOBAL_SCOPE`]) has one bucket
    /// for every call and no value: a value given for it is not kept.
    ///
    /// # Example
    /// ```
    /// let req = shieldwall::limit::Request::new("sk-1").scope("account", "a").scope("account", "b");
    /// assert_eq!(req.value("account"), Some("b"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn scope(mut self, scope: &'a str, value: &'a str) -> Self {
        if scope == KEY_SCOPE {
            self.key = value;
        } else if scope == GLOBAL_SCOPE {
            // One bucket for every call: nothing to keep.
        } else if let Some(slot) = self.scopes.iter_mut().find(|(s, _)| *s == scope) {
            slot.1 = value;
        } else {
            self.scopes.push((scope, value));
        }
        self
    }

    /// Sets the cost in requests (default 1; more for a batch call).
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Request, Unit};
    /// assert_eq!(Request::new("k").requests(5).cost(Unit::Requests), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn requests(mut self, n: u64) -> Self {
        self.requests = n;
        self
    }

    /// Sets the cost in tokens (default 0): for a reservation, the prompt's tokens plus
    /// `max_tokens`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Request, Unit};
    /// assert_eq!(Request::new("k").tokens(900).cost(Unit::Tokens), 900);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn tokens(mut self, n: u64) -> Self {
        self.tokens = n;
        self
    }

    /// The value of `scope`, if the request has one. Every request has the empty value of
    /// the `"global"` scope.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::Request;
    /// assert_eq!(Request::new("k").value("account"), None);
    /// assert_eq!(Request::new("k").value("global"), Some(""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn value(&self, scope: &str) -> Option<&'a str> {
        if scope == KEY_SCOPE {
            return Some(self.key);
        }
        if scope == GLOBAL_SCOPE {
            return Some("");
        }
        self.scopes
            .iter()
            .find(|(s, _)| *s == scope)
            .map(|&(_, v)| v)
    }

    /// The API key (the `"key"` scope's value).
    pub(crate) fn key(&self) -> &'a str {
        self.key
    }

    /// The request's cost in `unit`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Request, Unit};
    /// assert_eq!(Request::new("k").cost(Unit::Tokens), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cost(&self, unit: Unit) -> u64 {
        match unit {
            Unit::Requests => self.requests,
            Unit::Tokens => self.tokens,
        }
    }
}

/// What a call really used, to settle a [`Reservation`](super::Reservation).
///
/// # Example
/// ```
/// use shieldwall::limit::{Unit, Usage};
/// let used = Usage::tokens(1234);
/// assert_eq!(used.cost(Unit::Requests), 1);
/// assert_eq!(used.cost(Unit::Tokens), 1234);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Usage {
    /// Requests used.
    pub requests: u64,
    /// Tokens used (prompt plus completion).
    pub tokens: u64,
}

impl Usage {
    /// One request that used `tokens` tokens.
    ///
    /// # Example
    /// ```
    /// assert_eq!(shieldwall::limit::Usage::tokens(5).requests, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tokens(tokens: u64) -> Self {
        Self {
            requests: 1,
            tokens,
        }
    }

    /// The usage in `unit`.
    ///
    /// # Example
    /// ```
    /// use shieldwall::limit::{Unit, Usage};
    /// assert_eq!(Usage::default().cost(Unit::Requests), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cost(&self, unit: Unit) -> u64 {
        match unit {
            Unit::Requests => self.requests,
            Unit::Tokens => self.tokens,
        }
    }
}
