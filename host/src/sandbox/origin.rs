//! [`Origin`]: one place an outbound grant lets a provider send HTTP
//! requests to, and the rule a request's URL must meet to go there.
//!
//! An origin is exact: a scheme, a host and a port (`http://127.0.0.1:2375`,
//! `https://ecs.eu-west-1.amazonaws.com`), or a unix socket by path
//! (`unix:///var/run/docker.sock`). A guest never names a filesystem path:
//! it addresses a granted socket as `http://<alias>`, where the alias is the
//! socket file's name without its extension plus `.localhost`
//! (`docker.localhost`). `.localhost` names are reserved (RFC 6761), so an
//! alias can never mean a real remote host, and `Host` is a header guests
//! may not set, so the authority the host checked is the one it sends.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// The scheme of a network origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WebScheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS (server certificates checked against the web PKI roots).
    Https,
}

impl WebScheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebScheme::Http => "http",
            WebScheme::Https => "https",
        }
    }

    /// The port a URL of this scheme means when it names none.
    pub fn default_port(self) -> u16 {
        match self {
            WebScheme::Http => 80,
            WebScheme::Https => 443,
        }
    }

    fn parse(scheme: &str) -> Option<Self> {
        match scheme.to_ascii_lowercase().as_str() {
            "http" => Some(WebScheme::Http),
            "https" => Some(WebScheme::Https),
            _ => None,
        }
    }
}

/// One granted destination of outbound HTTP.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// `scheme://host:port`; `host` is lowercase (an IPv6 address in brackets).
    Network {
        /// `http` or `https`.
        scheme: WebScheme,
        /// Host name or IP address, lowercase.
        host: String,
        /// Port (the scheme's default when the grant named none).
        port: u16,
    },
    /// A unix socket; guests address it as `http://<alias>`.
    UnixSocket {
        /// The socket's absolute path.
        path: PathBuf,
        /// `<file stem>.localhost`, the host name guests use for it.
        alias: String,
    },
}

/// The suffix of every unix-socket alias.
pub const ALIAS_SUFFIX: &str = ".localhost";

/// How a grant string can be wrong; each message says the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("origin '{origin}': {reason}")]
pub struct OriginError {
    /// The grant as written (escaped and cut if long).
    pub origin: String,
    /// What is wrong with it.
    pub reason: String,
}

const FORMS: &str = "write it as http://HOST[:PORT], https://HOST[:PORT] or unix:///ABSOLUTE/PATH";

impl FromStr for Origin {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| OriginError {
            origin: crate::text::escape_bounded(text, 256).into_owned(),
            reason,
        };
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(error(format!("it has no scheme; {FORMS}")));
        };
        if scheme.eq_ignore_ascii_case("unix") {
            return Self::unix_socket(Path::new(rest)).map_err(error);
        }
        let Some(scheme) = WebScheme::parse(scheme) else {
            return Err(error(format!(
                "the scheme '{scheme}' is not one the host sends requests over; {FORMS}"
            )));
        };
        // An origin is only scheme, host and port: a path ("/"), query,
        // fragment or user info would suggest a narrower grant than it is.
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) {
            return Err(error(format!(
                "an origin is a scheme, a host and a port, with no path, query or user; {FORMS}"
            )));
        }
        let (host, port) = split_host_port(authority).map_err(error)?;
        Ok(Origin::Network {
            scheme,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(scheme.default_port()),
        })
    }
}

/// `("127.0.0.1", Some(2375))` from `127.0.0.1:2375`; IPv6 in brackets.
fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((address, after)) = rest.split_once(']') else {
            return Err("an IPv6 address must be closed with ']'".into());
        };
        let port = match after {
            "" => None,
            after => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| format!("'{after}' after the IPv6 address is not ':PORT'"))?,
            ),
        };
        (&authority[..address.len() + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(format!("it names no host; {FORMS}"));
    }
    if !host.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("a host name has only letters, digits, '-' and '.'".into());
    }
    let port = match port {
        None => None,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => return Err(format!("'{port}' is not a port (1 to 65535)")),
        },
    };
    Ok((host, port))
}

impl Origin {
    /// A Docker engine's address as `DOCKER_HOST` writes it:
    /// `unix:///PATH`, `tcp://HOST:PORT` (plain HTTP, so
    /// `http://HOST:PORT`), or an `http(s)://` origin.
    pub fn engine(text: &str) -> Result<Self, OriginError> {
        match text.strip_prefix("tcp://") {
            Some(rest) => format!("http://{rest}")
                .parse()
                .map_err(|err: OriginError| OriginError {
                    origin: crate::text::escape_bounded(text, 256).into_owned(),
                    ..err
                }),
            None => text.parse(),
        }
    }

    /// A unix-socket origin for `path`, aliased by its file stem.
    fn unix_socket(path: &Path) -> Result<Self, String> {
        if !path.is_absolute() {
            return Err(format!(
                "a unix socket is named by its absolute path (unix:///var/run/docker.sock); {FORMS}"
            ));
        }
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if crate::compute::check_dns_label(&stem).is_err() {
            return Err(format!(
                "guests reach a socket as http://<its file name without extension>{ALIAS_SUFFIX}, so the file name must start with a DNS label (a-z, 0-9, '-'); link the socket under such a name"
            ));
        }
        Ok(Origin::UnixSocket {
            path: path.to_owned(),
            alias: format!("{stem}{ALIAS_SUFFIX}"),
        })
    }

    /// Whether a request to `scheme://host:port` goes to this origin. `host`
    /// is compared without case; `port` is the URL's port or its scheme's
    /// default.
    pub fn admits(&self, scheme: WebScheme, host: &str, port: u16) -> bool {
        match self {
            Origin::Network {
                scheme: granted,
                host: granted_host,
                port: granted_port,
            } => {
                *granted == scheme
                    && *granted_port == port
                    && granted_host.eq_ignore_ascii_case(host)
            }
            Origin::UnixSocket { alias, .. } => {
                scheme == WebScheme::Http && port == 80 && alias.eq_ignore_ascii_case(host)
            }
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Network { scheme, host, port } if *port == scheme.default_port() => {
                write!(f, "{}://{host}", scheme.as_str())
            }
            Origin::Network { scheme, host, port } => {
                write!(f, "{}://{host}:{port}", scheme.as_str())
            }
            Origin::UnixSocket { path, .. } => write!(f, "unix://{}", path.display()),
        }
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        text.parse()
            .unwrap_or_else(|err| panic!("{text} should parse: {err}"))
    }

    fn refused(text: &str) -> String {
        text.parse::<Origin>().unwrap_err().to_string()
    }

    #[test]
    fn network_origins_are_exact_scheme_host_and_port() {
        let engine = origin("http://127.0.0.1:2375");
        assert!(engine.admits(WebScheme::Http, "127.0.0.1", 2375));
        assert!(!engine.admits(WebScheme::Https, "127.0.0.1", 2375));
        assert!(!engine.admits(WebScheme::Http, "127.0.0.1", 2376));
        assert!(!engine.admits(WebScheme::Http, "localhost", 2375));
        assert_eq!(engine.to_string(), "http://127.0.0.1:2375");

        let ecs = origin("HTTPS://ECS.eu-west-1.amazonaws.com/");
        assert!(ecs.admits(WebScheme::Https, "ecs.EU-west-1.amazonaws.com", 443));
        assert!(!ecs.admits(WebScheme::Https, "ecs.eu-west-1.amazonaws.com.evil", 443));
        assert_eq!(ecs.to_string(), "https://ecs.eu-west-1.amazonaws.com");

        let v6 = origin("http://[::1]:8080");
        assert!(v6.admits(WebScheme::Http, "[::1]", 8080));
        assert_eq!(v6.to_string(), "http://[::1]:8080");
    }

    #[test]
    fn a_unix_socket_is_reached_by_its_alias_over_plain_http_on_port_80() {
        let docker = origin("unix:///var/run/docker.sock");
        assert_eq!(
            docker,
            Origin::UnixSocket {
                path: "/var/run/docker.sock".into(),
                alias: "docker.localhost".into()
            }
        );
        assert!(docker.admits(WebScheme::Http, "docker.localhost", 80));
        assert!(!docker.admits(WebScheme::Https, "docker.localhost", 443));
        assert!(!docker.admits(WebScheme::Http, "docker.localhost", 2375));
        assert!(!docker.admits(WebScheme::Http, "docker", 80));
        assert_eq!(docker.to_string(), "unix:///var/run/docker.sock");
    }

    #[test]
    fn wrong_grants_say_how_to_write_them() {
        assert!(refused("127.0.0.1:2375").contains("it has no scheme"));
        assert!(refused("ftp://files.example").contains("scheme 'ftp'"));
        assert!(refused("tcp://127.0.0.1:2375").contains("scheme 'tcp'"));
        assert!(refused("http://example.com/v1.41").contains("no path"));
        assert!(refused("http://user@example.com").contains("no path, query or user"));
        assert!(refused("http://example.com:0").contains("'0' is not a port"));
        assert!(refused("http://example.com:99999").contains("is not a port"));
        assert!(refused("http://").contains("names no host"));
        assert!(refused("unix://var/run/docker.sock").contains("absolute path"));
        assert!(refused("unix:///run/My Socket.sock").contains("DNS label"));
        assert!(refused("http://exa mple.com").contains("only letters"));
        // An engine may be written as DOCKER_HOST writes it.
        assert_eq!(
            Origin::engine("tcp://10.0.0.5:2375").unwrap(),
            origin("http://10.0.0.5:2375")
        );
        assert_eq!(
            Origin::engine("tcp://10.0.0.5:0").unwrap_err().origin,
            "tcp://10.0.0.5:0"
        );
        // The grant is quoted escaped.
        assert!(refused("http://a\nb").contains("'http://a\\nb'"));
    }
}
