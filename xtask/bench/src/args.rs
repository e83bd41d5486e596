//! The command line of the measuring programs: a command word then `--name value` pairs.
//! They are run by `cargo xtask bench`, not by hand, so the parsing is small and strict.

use std::{collections::BTreeMap, str::FromStr, time::Duration};

use anyhow::{Context, Result, bail};

/// `--name value` options (and `--flag` switches, with an empty value).
pub(crate) struct Args {
    options: BTreeMap<String, String>,
}

impl Args {
    /// Parses the options after the command words.
    pub(crate) fn parse(raw: &[String]) -> Result<Self> {
        let mut options = BTreeMap::new();
        let mut iter = raw.iter().peekable();
        while let Some(arg) = iter.next() {
            let Some(name) = arg.strip_prefix("--") else {
                bail!("unexpected argument `{arg}` (options are `--name value`)");
            };
            let value = match iter.peek() {
                Some(next) if !next.starts_with("--") => iter.next().cloned().unwrap_or_default(),
                _ => String::new(),
            };
            options.insert(name.to_string(), value);
        }
        Ok(Self { options })
    }

    /// A required option.
    pub(crate) fn get(&self, name: &str) -> Result<&str> {
        self.options
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("missing --{name}"))
    }

    /// An option parsed as `T`, or `default` when absent.
    pub(crate) fn num<T: FromStr>(&self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.options.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|e| anyhow::anyhow!("--{name} {v}: {e}")),
        }
    }

    /// A duration given in milliseconds, or `default_ms` when absent.
    pub(crate) fn millis(&self, name: &str, default_ms: u64) -> Result<Duration> {
        Ok(Duration::from_millis(self.num(name, default_ms)?))
    }

    /// Whether a `--flag` was given.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.options.contains_key(name)
    }
}
