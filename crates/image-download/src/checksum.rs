//! CloudStack checksum strings (`{SHA-256}ab12…` or bare hex) and streaming hashers.

use std::fmt;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

/// A digest algorithm CloudStack accepts for templates and ISOs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl ChecksumAlgorithm {
    /// Length of the digest in hex characters.
    fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }

    /// The algorithm CloudStack infers for a bare hex digest of this length.
    fn from_hex_len(len: usize) -> Option<Self> {
        [Self::Md5, Self::Sha1, Self::Sha256, Self::Sha512]
            .into_iter()
            .find(|a| a.hex_len() == len)
    }

    fn from_name(name: &str) -> Option<Self> {
        // CloudStack writes Java's MessageDigest names (`SHA-256`); the dashless
        // spellings are accepted too because users type them.
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Some(Self::Md5),
            "SHA-1" | "SHA1" => Some(Self::Sha1),
            "SHA-256" | "SHA256" => Some(Self::Sha256),
            "SHA-512" | "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        })
    }
}

/// An expected digest: algorithm plus lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub hex: String,
}

impl fmt::Display for Checksum {
    /// CloudStack's canonical form, `{SHA-256}hex`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}{}", self.algorithm, self.hex)
    }
}

/// Parses a CloudStack checksum: `{MD5}hex`, `{SHA-1}hex`, `{SHA-256}hex`, `{SHA-512}hex`
/// (names case-insensitive) or bare hex whose length names the algorithm (32 MD5,
/// 40 SHA-1, 64 SHA-256, 128 SHA-512). The error text is meant for the API caller
/// (CloudStack answers it with error 431). An empty string is an error: pass no
/// checksum instead.
pub fn parse_checksum(text: &str) -> Result<Checksum, String> {
    let text = text.trim();
    let (algorithm, hex) = match text.strip_prefix('{') {
        Some(rest) => {
            let (name, hex) = rest
                .split_once('}')
                .ok_or_else(|| format!("checksum '{text}' has no closing '}}'"))?;
            let algorithm = ChecksumAlgorithm::from_name(name).ok_or_else(|| {
                format!(
                    "unsupported checksum algorithm '{name}' (use MD5, SHA-1, SHA-256 or SHA-512)"
                )
            })?;
            (algorithm, hex)
        }
        None => {
            let algorithm = ChecksumAlgorithm::from_hex_len(text.len()).ok_or_else(|| {
                format!(
                    "checksum '{text}' is {} characters long; a bare checksum must be 32 (MD5), 40 (SHA-1), 64 (SHA-256) or 128 (SHA-512) hex digits",
                    text.len()
                )
            })?;
            (algorithm, text)
        }
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("checksum '{text}' is not hexadecimal"));
    }
    if hex.len() != algorithm.hex_len() {
        return Err(format!(
            "a {algorithm} checksum has {} hex digits, '{hex}' has {}",
            algorithm.hex_len(),
            hex.len()
        ));
    }
    Ok(Checksum {
        algorithm,
        hex: hex.to_ascii_lowercase(),
    })
}

/// Incremental digest over the bytes of a download.
pub(crate) enum Hasher {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub(crate) fn new(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm {
            ChecksumAlgorithm::Md5 => Self::Md5(Md5::new()),
            ChecksumAlgorithm::Sha1 => Self::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Self::Sha256(Sha256::new()),
            ChecksumAlgorithm::Sha512 => Self::Sha512(Sha512::new()),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Self::Md5(h) => h.update(data),
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
        }
    }

    /// Lowercase hex of the digest.
    pub(crate) fn finish_hex(self) -> String {
        match self {
            Self::Md5(h) => hex(&h.finalize()),
            Self::Sha1(h) => hex(&h.finalize()),
            Self::Sha256(h) => hex(&h.finalize()),
            Self::Sha512(h) => hex(&h.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5_EMPTY: &str = "d41d8cd98f00b204e9800998ecf8427e";
    const SHA1_EMPTY: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    const SHA256_EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn braced_forms_with_any_case() {
        let c = parse_checksum(&format!("{{md5}}{MD5_EMPTY}")).expect("md5");
        assert_eq!(c.algorithm, ChecksumAlgorithm::Md5);
        let c = parse_checksum(&format!("{{Sha-1}}{}", SHA1_EMPTY.to_uppercase())).expect("sha1");
        assert_eq!(c.algorithm, ChecksumAlgorithm::Sha1);
        assert_eq!(c.hex, SHA1_EMPTY);
        let c = parse_checksum(&format!("{{SHA-256}}{SHA256_EMPTY}")).expect("sha256");
        assert_eq!(c.to_string(), format!("{{SHA-256}}{SHA256_EMPTY}"));
        let c = parse_checksum(&format!("{{sha-512}}{}", "ab".repeat(64))).expect("sha512");
        assert_eq!(c.algorithm, ChecksumAlgorithm::Sha512);
    }

    #[test]
    fn bare_hex_is_inferred_by_length() {
        for (hex, alg) in [
            (MD5_EMPTY.to_string(), ChecksumAlgorithm::Md5),
            (SHA1_EMPTY.to_string(), ChecksumAlgorithm::Sha1),
            (SHA256_EMPTY.to_string(), ChecksumAlgorithm::Sha256),
            ("0".repeat(128), ChecksumAlgorithm::Sha512),
        ] {
            assert_eq!(parse_checksum(&hex).expect("bare").algorithm, alg);
        }
    }

    #[test]
    fn malformed_checksums_are_rejected() {
        for bad in [
            "",
            "abc",
            "{MD5}abc",
            "{MD4}d41d8cd98f00b204e9800998ecf8427e",
            "{SHA-256}d41d8cd98f00b204e9800998ecf8427e",
            "{MD5d41d8cd98f00b204e9800998ecf8427e",
            "z41d8cd98f00b204e9800998ecf8427e",
            "{MD5}z41d8cd98f00b204e9800998ecf8427e",
        ] {
            assert!(parse_checksum(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn hashers_match_known_digests() {
        for (alg, want) in [
            (ChecksumAlgorithm::Md5, MD5_EMPTY),
            (ChecksumAlgorithm::Sha1, SHA1_EMPTY),
            (ChecksumAlgorithm::Sha256, SHA256_EMPTY),
        ] {
            assert_eq!(Hasher::new(alg).finish_hex(), want);
        }
        let mut h = Hasher::new(ChecksumAlgorithm::Md5);
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish_hex(), "900150983cd24fb0d6963f7d28e17f72");
    }
}
