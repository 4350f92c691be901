//! Tries to forge host log lines and drive the terminal: a log message,
//! stdout and stderr lines and a provider-error message, each with
//! newlines, carriage returns and escape sequences.
// Printing is the attack.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use landlord_hostile_guests::log::{Level, log};

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
/// A line that looks like the host's own, and escape sequences that clear
/// the line, move the cursor up and turn the terminal red.
const FORGED: &str = "provisioning\n2031-01-01T00:00:00.000000Z ERROR landlord: forged host line\r\u{1b}[2K\u{1b}[1A\u{1b}[31mred\u{202e}";

landlord_hostile_guests::hostile_guest!("log-forgery", |_spec| {
    log(Level::Error, FORGED);
    println!("{FORGED}");
    eprintln!("{FORGED}");
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        FORGED.to_owned(),
    ))
});
