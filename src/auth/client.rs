//! Which address a request came from, for throttling and for `/metrics`.
//! The TCP peer is the truth unless it is a proxy the operator named: only
//! then is `X-Forwarded-For` read, from the right, skipping the named
//! proxies, so a client cannot forge its way past the throttle.

use std::net::IpAddr;

/// The client's address: the peer, or — when the peer is a trusted proxy —
/// the nearest address in `X-Forwarded-For` that is not one. An entry that is
/// not an address stops the walk at the last trusted hop.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let mut client = peer?;
    if !trusted.contains(&client) {
        return Some(client);
    }
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_peer_counts_unless_it_is_a_named_proxy() {
        let lb = ip("10.0.0.2");
        // No proxies named: the header is ignored, whatever it says.
        assert_eq!(client_address(Some(lb), Some("203.0.113.9"), &[]), Some(lb));
        // A named proxy: the client it saw.
        assert_eq!(
            client_address(Some(lb), Some("203.0.113.9"), &[lb]),
            Some(ip("203.0.113.9"))
        );
        // A client forging extra entries only moves itself further left;
        // the proxy's own entry (rightmost) is the one read.
        assert_eq!(
            client_address(Some(lb), Some("1.2.3.4, 203.0.113.9"), &[lb]),
            Some(ip("203.0.113.9"))
        );
        // Two proxies in a row are skipped.
        let edge = ip("10.0.0.1");
        assert_eq!(
            client_address(Some(lb), Some("198.51.100.7, 10.0.0.1"), &[lb, edge]),
            Some(ip("198.51.100.7"))
        );
        // Garbage or no header: the last trusted hop.
        assert_eq!(client_address(Some(lb), Some("junk"), &[lb]), Some(lb));
        assert_eq!(client_address(Some(lb), None, &[lb]), Some(lb));
        // A client that is not the named proxy cannot use the header.
        let other = ip("192.0.2.50");
        assert_eq!(
            client_address(Some(other), Some("127.0.0.1"), &[lb]),
            Some(other)
        );
    }
}
