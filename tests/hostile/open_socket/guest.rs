//! Tries to reach the network in `provision`.
use landlord_hostile_guests::{ProviderError, config};

landlord_hostile_guests::hostile_guest!("open-socket", |_spec| {
    let target = config::get("target").unwrap_or_else(|| "127.0.0.1:9".to_owned());
    let mut report = Vec::new();
    match std::net::TcpStream::connect(&target) {
        Ok(_) => report.push(format!("LEAKED tcp connect to {target} succeeded")),
        Err(err) => report.push(format!("tcp: {err}")),
    }
    match std::net::UdpSocket::bind("0.0.0.0:0").and_then(|socket| socket.send_to(b"x", &target)) {
        Ok(_) => report.push(format!("LEAKED udp send to {target} succeeded")),
        Err(err) => report.push(format!("udp: {err}")),
    }
    Err(ProviderError::ProvisionFailed(format!(
        "denied: {}",
        report.join("; ")
    )))
});
