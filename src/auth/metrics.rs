//! Who may read `/metrics`. The figures name every route and how busy it
//! is: useful to an operator, and to nobody else. Without a configured token
//! only the machine itself (a loopback client, e.g. a local Prometheus
//! agent, not relayed by a proxy) reads them; with one, any scraper
//! presenting it as a bearer token does.

use std::net::IpAddr;

use subtle::ConstantTimeEq;

/// Why a metrics request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsRefusal {
    /// A token is configured and the request did not present it.
    TokenRequired,
    /// No token is configured and the caller is not on this machine.
    NotLocal,
}

/// Decides a metrics request from the client address (see
/// [`super::client::client_address`]), whether a proxy relayed it (it
/// carries `Forwarded` or `X-Forwarded-For`: a proxy on this machine would
/// otherwise make every visitor look local), the configured token and the
/// `Authorization` header's bearer token.
pub fn metrics_access(
    client: Option<IpAddr>,
    relayed: bool,
    configured: Option<&[u8]>,
    presented: Option<&str>,
) -> Result<(), MetricsRefusal> {
    match configured {
        Some(token) => {
            let given = presented.unwrap_or_default().as_bytes();
            if given.len() == token.len() && bool::from(given.ct_eq(token)) {
                Ok(())
            } else {
                Err(MetricsRefusal::TokenRequired)
            }
        }
        None if !relayed && client.is_some_and(|ip| ip.is_loopback()) => Ok(()),
        None => Err(MetricsRefusal::NotLocal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_reads_without_a_token_and_nobody_else_does() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let local6: IpAddr = "::1".parse().unwrap();
        let remote: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(metrics_access(Some(local), false, None, None), Ok(()));
        assert_eq!(metrics_access(Some(local6), false, None, None), Ok(()));
        assert_eq!(
            metrics_access(Some(remote), false, None, Some("anything")),
            Err(MetricsRefusal::NotLocal)
        );
        assert_eq!(
            metrics_access(None, false, None, None),
            Err(MetricsRefusal::NotLocal)
        );
        // A proxy on this machine relaying a visitor.
        assert_eq!(
            metrics_access(Some(local), true, None, None),
            Err(MetricsRefusal::NotLocal)
        );
    }

    #[test]
    fn a_configured_token_is_required_from_everyone() {
        let token = b"scrape-token-0123456789";
        let remote: IpAddr = "10.1.2.3".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            metrics_access(
                Some(remote),
                true,
                Some(token),
                Some("scrape-token-0123456789")
            ),
            Ok(())
        );
        for wrong in [
            None,
            Some(""),
            Some("scrape-token-012345678"),
            Some("scrape-token-0123456780"),
        ] {
            assert_eq!(
                metrics_access(Some(local), false, Some(token), wrong),
                Err(MetricsRefusal::TokenRequired),
                "{wrong:?}"
            );
        }
    }
}
