//! The client's IP address: the socket peer, or, behind a trusted proxy, the
//! address it reports in `X-Forwarded-For`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};

use crate::{error::AppError, state::AppState};

/// The client's address as a handler argument; the domain takes the
/// `IpAddr` inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The peer, unless it is a trusted proxy: then the right-most address in
    /// `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn resolve(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> ClientIp {
        let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.ip());
        if !trusted.contains(&peer) {
            return ClientIp(peer);
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        ClientIp(
            forwarded
                .into_iter()
                .rev()
                .find(|a| !trusted.contains(a))
                .unwrap_or(peer),
        )
    }

    pub fn from_parts(parts: &Parts, state: &AppState) -> ClientIp {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Self::resolve(peer, &parts.headers, &state.config.trusted_proxies)
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(Self::from_parts(parts, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        let from_proxy = Some(SocketAddr::new(proxy, 1234));
        let direct = Some("198.51.100.7:1234".parse().unwrap());
        assert_eq!(
            ClientIp::resolve(from_proxy, &headers, &[proxy])
                .0
                .to_string(),
            "203.0.113.9"
        );
        assert_eq!(
            ClientIp::resolve(direct, &headers, &[proxy]).0.to_string(),
            "198.51.100.7"
        );
        assert_eq!(ClientIp::resolve(from_proxy, &headers, &[]).0, proxy);
    }
}
