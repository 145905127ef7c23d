//! `logofill`: the command line of the logo filler.
//!
//! Each subcommand is one module with an `Args` struct (its `///` comments are the `--help`
//! text) and a `run()` that parses nothing further and calls the library. To add a subcommand,
//! add a module and one variant to [`Command`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod company;
mod dev;
mod enqueue;
mod logo;
mod output;
mod placeholder;
mod process;
mod refresh;
mod replay;
mod review;
mod terminal;

/// Fill in missing company logos: run the system locally, render logos, enqueue companies,
/// replay the dead-letter queue, see what is stored.
#[derive(Debug, Parser)]
#[command(name = "logofill", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Dev(dev::DevArgs),
    Process(process::ProcessArgs),
    Placeholder(placeholder::PlaceholderArgs),
    Enqueue(enqueue::EnqueueArgs),
    Replay(replay::ReplayArgs),
    Logo(logo::LogoArgs),
    Refresh(refresh::RefreshArgs),
    Review(review::ReviewArgs),
}

impl Command {
    fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Dev(args) => args.run(),
            Command::Process(args) => args.run(),
            Command::Enqueue(args) => args.run(),
            Command::Placeholder(args) => args.run(),
            Command::Replay(args) => args.run(),
            Command::Logo(args) => args.run(),
            Command::Refresh(args) => args.run(),
            Command::Review(args) => args.run(),
        }
    }
}

fn main() -> ExitCode {
    // `logofill` re-executed as a render helper serves renders and never returns.
    logofill_render::serve_if_helper();
    match Cli::parse().command.run() {
        Ok(code) => code,
        Err(e) => {
            terminal::tell!("logofill: {e:#}");
            ExitCode::from(2)
        }
    }
}
