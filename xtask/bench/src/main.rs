//! The measuring programs of `cargo xtask bench` (built in release mode, run as child processes
//! so that CPU time and peak RSS belong to one client alone):
//!
//! - `serve fixed|pages`: loopback HTTP servers ([`server`]);
//! - `client sdk|raw`: `getConversation` throughput of the SDK and of raw reqwest ([`clients`]);
//! - `paginate`: streaming 100k items over 1,000 pages ([`paginate`]);
//! - `load`: the throughput of a server for one request ([`load`]);
//! - `setup-emulator`: the users, messages and 100k table rows it reads ([`setup`]);
//! - `scale`: latencies of lists and lookups as one bot's documents grow ([`scale`]);
//! - `contention`: one bot's `getUser` while another runs the slowest query ([`contention`]).
//!
//! Each prints one JSON line; `cargo xtask bench` prints the table.

mod api;
mod args;
mod clients;
mod contention;
mod fanout;
mod load;
mod measure;
mod paginate;
mod scale;
mod server;
mod setup;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = raw
        .split_first()
        .map(|(c, r)| (c.as_str(), r))
        .unwrap_or(("", &[]));
    match command {
        "serve" | "client" => {
            let Some((which, rest)) = rest.split_first() else {
                bail!("usage: botpress-bench {command} <kind> [--option value]...");
            };
            let args = args::Args::parse(rest)?;
            if command == "serve" {
                server::main(which, &args)
            } else {
                clients::main(which, &args)
            }
        }
        "paginate" => paginate::main(&args::Args::parse(rest)?),
        "load" => load::main(&args::Args::parse(rest)?),
        "setup-emulator" => setup::main(&args::Args::parse(rest)?),
        "scale" => scale::main(&args::Args::parse(rest)?),
        "contention" => contention::main(&args::Args::parse(rest)?),
        "fanout" => fanout::main(&args::Args::parse(rest)?),
        _ => bail!(
            "usage: botpress-bench serve fixed|pages | client sdk|raw | paginate | load | setup-emulator | scale | contention (run by `cargo xtask bench`)"
        ),
    }
}
