//! Which root certificates the HTTPS client trusts.
//!
//! By default the Mozilla root certificates compiled into the binary
//! (`webpki-root-certs`): no file is read and nothing is parsed at start-up. Chosen by
//! measurement over reading the system CA bundle (BENCHMARKS.md, "Trust store").
//! `SSL_CERT_FILE` replaces them with one PEM bundle (a private CA, a TLS-inspecting
//! proxy); `SSL_CERT_DIR` alone hands the choice to the platform's store.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use aws_smithy_http_client::tls::TrustStore;
use base64::Engine;
use rustls_pki_types::CertificateDer;

/// Where the trust store came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// The root certificates compiled into the binary (Mozilla's, from `webpki-root-certs`).
    Compiled { certificates: usize },
    /// One CA bundle file: `SSL_CERT_FILE`.
    /// `skipped` counts certificates in it that cannot be trust anchors.
    Bundle {
        path: PathBuf,
        certificates: usize,
        skipped: usize,
    },
    /// The platform's store as `rustls-native-certs` finds it (bundle and directory).
    Platform { reason: String },
}

impl fmt::Display for TrustSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustSource::Compiled { certificates } => {
                write!(f, "the compiled-in roots ({certificates} certificates)")
            }
            TrustSource::Bundle {
                path,
                certificates,
                skipped,
            } => write!(
                f,
                "{} ({certificates} certificates, {skipped} skipped)",
                path.display()
            ),
            TrustSource::Platform { reason } => write!(f, "the platform's trust store: {reason}"),
        }
    }
}

/// The trust store, from the environment read through `var`:
/// - `SSL_CERT_FILE` set: that bundle alone;
/// - else `SSL_CERT_DIR` set: the platform's store (which honours it);
/// - else the compiled-in roots ([`compiled_roots_pem`]);
/// - a bundle that is unreadable, malformed or holds no usable certificate is never
///   trusted in part: the platform's store is used instead (and a warning logged).
///
/// Every certificate kept has been checked to parse as a trust anchor, so the TLS
/// client never meets one it refuses.
pub fn trust_store(var: &dyn Fn(&str) -> Option<OsString>) -> (TrustStore, TrustSource) {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    let path = match (set("SSL_CERT_FILE"), set("SSL_CERT_DIR")) {
        (Some(file), _) => PathBuf::from(file),
        (None, Some(_)) => return platform("SSL_CERT_DIR is set".to_string()),
        (None, None) => {
            return (
                pem_store(compiled_roots_pem()),
                TrustSource::Compiled {
                    certificates: webpki_root_certs::TLS_SERVER_ROOT_CERTS.len(),
                },
            )
        }
    };
    match read_bundle(&path) {
        Ok(bundle) if bundle.certificates > 0 => (
            pem_store(bundle.pem),
            TrustSource::Bundle {
                path,
                certificates: bundle.certificates,
                skipped: bundle.skipped,
            },
        ),
        Ok(_) => platform(format!("{} holds no usable certificate", path.display())),
        Err(e) => platform(format!("{}: {e}", path.display())),
    }
}

/// The compiled-in roots as one PEM bundle (the form the SDK's TLS context takes).
/// Each is a valid trust anchor (checked by a test), so none is validated here.
pub fn compiled_roots_pem() -> Vec<u8> {
    let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
    let mut pem = Vec::with_capacity(roots.iter().map(|c| c.len() * 4 / 3 + 64).sum());
    for root in roots {
        push_pem(&mut pem, root);
    }
    pem
}

fn pem_store(pem: Vec<u8>) -> TrustStore {
    TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem)
}

fn platform(reason: String) -> (TrustStore, TrustSource) {
    tracing::warn!(%reason, "using the platform's trust store");
    (TrustStore::default(), TrustSource::Platform { reason })
}

struct Bundle {
    /// The usable certificates, PEM-encoded again.
    pem: Vec<u8>,
    certificates: usize,
    skipped: usize,
}

const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
const END: &[u8] = b"-----END CERTIFICATE-----";

/// Reads the `CERTIFICATE` sections of a PEM bundle, keeping those that parse as trust
/// anchors. (Decoded with the `base64` crate: the bundle is public, so the slower
/// constant-time decoder of `rustls-pki-types` buys nothing here, and this runs in every
/// cold start.)
fn read_bundle(path: &Path) -> Result<Bundle, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut bundle = Bundle {
        pem: Vec::with_capacity(bytes.len()),
        certificates: 0,
        skipped: 0,
    };
    let mut b64 = Vec::with_capacity(4096);
    let mut rest = &bytes[..];
    while let Some(start) = find(rest, BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let end = find(body, END).ok_or("not a PEM bundle: a certificate has no END line")?;
        b64.clear();
        b64.extend(body[..end].iter().filter(|b| !b.is_ascii_whitespace()));
        let der = base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .map_err(|e| format!("not a PEM bundle: {e}"))?;
        if webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice())).is_ok() {
            bundle.certificates += 1;
            push_pem(&mut bundle.pem, &der);
        } else {
            bundle.skipped += 1;
        }
        rest = &body[end + END.len()..];
    }
    Ok(bundle)
}

/// Where `needle` (which starts with '-', a byte base64 never uses) first occurs.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = haystack[from..].iter().position(|&b| b == needle[0]) {
        let at = from + i;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn push_pem(out: &mut Vec<u8>, der: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"-----END CERTIFICATE-----\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use std::collections::HashMap;

    /// The system CA bundles of Amazon Linux / Fedora, Debian / Ubuntu and macOS.
    const SYSTEM_BUNDLES: &[&str] = &[
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/ssl/cert.pem",
    ];

    /// Certificates from this machine's own CA bundle: real roots to build test bundles from.
    fn system_certificates() -> Vec<CertificateDer<'static>> {
        let path = SYSTEM_BUNDLES
            .iter()
            .find(|p| Path::new(p).is_file())
            .expect("a system CA bundle (package ca-certificates)");
        let bytes = std::fs::read(path).unwrap();
        CertificateDer::pem_slice_iter(&bytes)
            .map(|c| c.unwrap())
            .filter(|c| webpki::anchor_from_trusted_cert(c).is_ok())
            .collect()
    }

    fn env(vars: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hangar-aws-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn ssl_cert_file_is_read_alone_keeping_anchors_and_skipping_certificates_that_are_not() {
        let roots = system_certificates();
        let mut pem = Vec::new();
        push_pem(&mut pem, &roots[0]);
        push_pem(&mut pem, b"\x30\x03\x02\x01\x01"); // DER, but not a certificate
        push_pem(&mut pem, &roots[1]);
        let path = temp_file("mixed.pem", &pem);

        let (_, source) = trust_store(&env(&[("SSL_CERT_FILE", &path)]));
        assert_eq!(
            source,
            TrustSource::Bundle {
                path: path.clone(),
                certificates: 2,
                skipped: 1
            }
        );
        let kept = read_bundle(&path).unwrap();
        let reparsed: Vec<_> = CertificateDer::pem_slice_iter(&kept.pem)
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(reparsed, vec![roots[0].clone(), roots[1].clone()]);
    }

    #[test]
    fn without_variables_the_compiled_in_roots_are_used_and_every_one_is_a_valid_anchor() {
        let (_, source) = trust_store(&env(&[]));
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        assert!(roots.len() > 100, "{} roots", roots.len());
        assert_eq!(
            source,
            TrustSource::Compiled {
                certificates: roots.len()
            }
        );
        // the PEM handed to the SDK holds exactly these certificates, each one an anchor
        // (the SDK's TLS context panics on a certificate it cannot add)
        let pem = compiled_roots_pem();
        let back: Vec<_> = CertificateDer::pem_slice_iter(&pem)
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(back.as_slice(), roots);
        for cert in &back {
            webpki::anchor_from_trusted_cert(cert).unwrap();
        }
    }

    #[test]
    fn a_system_bundle_named_by_ssl_cert_file_is_read_whole() {
        let path = PathBuf::from(
            SYSTEM_BUNDLES
                .iter()
                .find(|p| Path::new(p).is_file())
                .expect("a system CA bundle (package ca-certificates)"),
        );
        let (_, source) = trust_store(&env(&[("SSL_CERT_FILE", &path)]));
        match source {
            TrustSource::Bundle {
                path: read,
                certificates,
                ..
            } => {
                assert_eq!(read, path);
                assert_eq!(certificates, system_certificates().len());
                // the same certificates rustls-pki-types' own PEM reader finds
                let kept: Vec<_> = CertificateDer::pem_slice_iter(&read_bundle(&path).unwrap().pem)
                    .map(|c| c.unwrap())
                    .collect();
                assert_eq!(kept, system_certificates());
            }
            other => panic!("expected a bundle, got {other}"),
        }
    }

    #[test]
    fn a_malformed_bundle_falls_back_to_the_platform_store_rather_than_trusting_part_of_it() {
        let roots = system_certificates();
        let mut pem = Vec::new();
        push_pem(&mut pem, &roots[0]);
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n");
        let path = temp_file("broken.pem", &pem);
        let (_, source) = trust_store(&env(&[("SSL_CERT_FILE", &path)]));
        assert!(
            matches!(&source, TrustSource::Platform { reason } if reason.contains("not a PEM bundle")),
            "{source}"
        );
    }

    #[test]
    fn a_certificate_without_an_end_line_falls_back_to_the_platform_store() {
        let roots = system_certificates();
        let mut pem = Vec::new();
        push_pem(&mut pem, &roots[0]);
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\nMIIB\n");
        let path = temp_file("truncated.pem", &pem);
        let (_, source) = trust_store(&env(&[("SSL_CERT_FILE", &path)]));
        assert!(
            matches!(&source, TrustSource::Platform { reason } if reason.contains("no END line")),
            "{source}"
        );
    }

    #[test]
    fn a_missing_or_empty_bundle_falls_back_to_the_platform_store() {
        let missing = std::env::temp_dir().join("hangar-aws-no-such-bundle.pem");
        let (_, source) = trust_store(&env(&[("SSL_CERT_FILE", &missing)]));
        assert!(matches!(source, TrustSource::Platform { .. }), "{source}");

        let empty = temp_file("empty.pem", b"");
        let (_, source) = trust_store(&env(&[("SSL_CERT_FILE", &empty)]));
        assert!(
            matches!(&source, TrustSource::Platform { reason } if reason.contains("no usable certificate")),
            "{source}"
        );
    }

    #[test]
    fn ssl_cert_dir_alone_is_left_to_the_platform_store_which_reads_it() {
        let (_, source) = trust_store(&env(&[("SSL_CERT_DIR", Path::new("/etc/ssl/certs"))]));
        assert_eq!(
            source,
            TrustSource::Platform {
                reason: "SSL_CERT_DIR is set".into()
            }
        );
    }
}
