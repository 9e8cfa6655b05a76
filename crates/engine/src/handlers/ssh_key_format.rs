//! OpenSSH public keys: parsing and checking what users register, encoding the keys
//! createSSHKeyPair generates, and CloudStack's fingerprint (MD5 of the key blob as
//! colon-separated hex).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;

/// Key types CloudStack accepts.
const KEY_TYPES: &[&str] = &[
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
];

/// CloudStack generates 2048-bit RSA keys.
const RSA_BITS: usize = 2048;

/// A checked public key: `<type> <base64>` (the comment dropped) and its fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub text: String,
    pub fingerprint: String,
}

/// A new key pair: the PKCS#1 PEM private key and the public key.
pub struct GeneratedKey {
    pub private_pem: String,
    pub public: PublicKey,
}

/// Parses an OpenSSH public key line (`type base64 [comment]`), or that whole line
/// base64-encoded, and checks that the blob really is a key of the named type.
pub fn parse_public(material: &str) -> Option<PublicKey> {
    let material = material.trim();
    if !material.contains(char::is_whitespace) {
        // Some clients send the whole line base64-encoded.
        let decoded = STANDARD.decode(material).ok()?;
        let line = String::from_utf8(decoded).ok()?;
        return line
            .contains(char::is_whitespace)
            .then(|| parse_public(&line))
            .flatten();
    }
    let mut parts = material.split_whitespace();
    let key_type = parts.next()?;
    let encoded = parts.next()?;
    if !KEY_TYPES.contains(&key_type) {
        return None;
    }
    let blob = STANDARD.decode(encoded).ok()?;
    if !blob_is_valid(key_type, &blob) {
        return None;
    }
    Some(PublicKey {
        text: format!("{key_type} {encoded}"),
        fingerprint: fingerprint(&blob),
    })
}

/// The blob's fields, as RFC 4253 §6.6 and RFC 5656/8709 lay them out, with nothing left
/// over.
fn blob_is_valid(key_type: &str, blob: &[u8]) -> bool {
    let mut r = Reader(blob);
    if r.string() != Some(key_type.as_bytes()) {
        return false;
    }
    let ok = match key_type {
        "ssh-rsa" => (0..2).all(|_| r.positive_mpint()),
        "ssh-dss" => (0..4).all(|_| r.positive_mpint()),
        "ssh-ed25519" => r.string().is_some_and(|k| k.len() == 32),
        ecdsa => {
            let curve = ecdsa.trim_start_matches("ecdsa-sha2-");
            let point_len = match curve {
                "nistp256" => 65,
                "nistp384" => 97,
                _ => 133,
            };
            r.string() == Some(curve.as_bytes())
                && r.string()
                    .is_some_and(|q| q.len() == point_len && q.first() == Some(&4))
        }
    };
    ok && r.0.is_empty()
}

/// Reads SSH wire-format fields.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (s, rest) = rest.split_at(len);
        self.0 = rest;
        Some(s)
    }

    /// A non-empty, non-negative multiple-precision integer.
    fn positive_mpint(&mut self) -> bool {
        self.string()
            .is_some_and(|m| m.first().is_some_and(|b| b & 0x80 == 0) && m.iter().any(|b| *b != 0))
    }
}

/// MD5 of the key blob as lower-case hex pairs joined by colons.
pub fn fingerprint(blob: &[u8]) -> String {
    Md5::digest(blob)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The RSA key of an `ssh-rsa` public key line (None for other key types).
pub fn rsa_public(text: &str) -> Option<rsa::PublicKey> {
    let mut parts = text.split_whitespace();
    if parts.next()? != "ssh-rsa" {
        return None;
    }
    let blob = STANDARD.decode(parts.next()?).ok()?;
    let mut r = Reader(&blob);
    r.string()?;
    // mpints carry a zero byte before a set top bit; the key's size is without it.
    let unsigned = |m: &[u8]| {
        let start = m.iter().position(|b| *b != 0).unwrap_or(m.len());
        rsa::BoxedUint::from_be_slice_vartime(&m[start..])
    };
    let (e, n) = (r.string()?, r.string()?);
    rsa::PublicKey::new(unsigned(n), unsigned(e)).ok()
}

/// Generates an RSA key pair. CPU-heavy: call it off the async workers.
pub fn generate() -> Result<GeneratedKey, String> {
    let key = rsa::PrivateKey::new(&mut rand::rng(), RSA_BITS).map_err(|e| e.to_string())?;
    let private_pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string();
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-rsa");
    put_mpint(&mut blob, &key.e_bytes());
    put_mpint(&mut blob, &key.n_bytes());
    Ok(GeneratedKey {
        private_pem,
        public: PublicKey {
            text: format!("ssh-rsa {}", STANDARD.encode(&blob)),
            fingerprint: fingerprint(&blob),
        },
    })
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    // Key fields are a few hundred bytes; the length always fits.
    out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(s);
}

/// A positive big-endian integer as an mpint: no leading zeros, except one when the top
/// bit is set (the sign bit).
fn put_mpint(out: &mut Vec<u8>, be: &[u8]) {
    let trimmed: &[u8] = match be.iter().position(|b| *b != 0) {
        Some(i) => &be[i..],
        None => &[],
    };
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        let mut padded = Vec::with_capacity(trimmed.len() + 1);
        padded.push(0);
        padded.extend_from_slice(trimmed);
        put_string(out, &padded);
    } else {
        put_string(out, trimmed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real keys made with ssh-keygen; fingerprints as `ssh-keygen -l -E md5` prints them.
    const ED25519: &str = "ssh-ed25519 \
        AAAAC3NzaC1lZDI1NTE5AAAAICZNJOVqQSIvwXs72WlslQlauapnrb4OD/Ysckrexo3b me@host";
    const ECDSA: &str = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAA\
        BhBMWVU3oTq3Ay9zsLjrKMIvX11snagtAoGmiRlsSqnVN0uE9N2tqolgDPx41+IGKQEDhiO08eb9DaDATR2Lvn\
        nkyuepTybsgwjgVm3WJMAmj5JqcDuTaj7N7qH0yR7Rv0rg== root@vm";

    #[test]
    fn parses_and_fingerprints_real_keys() {
        let k = parse_public(ED25519).expect("valid key");
        assert_eq!(
            k.text,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICZNJOVqQSIvwXs72WlslQlauapnrb4OD/Ysckrexo3b"
        );
        assert_eq!(
            k.fingerprint,
            "7e:9e:7c:9d:ee:e7:1f:ee:e2:82:5c:6b:c3:0b:25:f5"
        );
        // The whole line base64-encoded is the same key.
        let wrapped = STANDARD.encode(ED25519);
        assert_eq!(parse_public(&wrapped), Some(k));
        let e = parse_public(ECDSA).expect("valid key");
        assert_eq!(
            e.fingerprint,
            "f5:3c:cb:18:44:5b:f7:34:cd:83:50:c0:89:a7:e4:20"
        );
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "",
            "ssh-rsa",
            "hello world",
            "ssh-rsa not-base64!!",
            "ssh-rsa AAAA",
            // A valid ed25519 blob announced as RSA.
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAICZNJOVqQSIvwXs72WlslQlauapnrb4OD/Ysckrexo3b",
            // A truncated ed25519 key.
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICZNJOVqQSIvwXs72WlslQlauapnrb4OD/Ysckre",
            "ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAICZNJOVqQSIvwXs72WlslQlauapnrb4OD/Ysckrexo3b",
        ] {
            assert_eq!(parse_public(bad), None, "{bad}");
        }
    }

    #[test]
    fn generated_keys_parse_back() {
        let g = generate().expect("key generation");
        assert!(
            g.private_pem
                .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
        );
        assert!(g.public.text.starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
        assert_eq!(parse_public(&g.public.text), Some(g.public.clone()));
    }

    #[test]
    fn mpints_carry_a_sign_byte_only_when_needed() {
        let mut out = Vec::new();
        put_mpint(&mut out, &[0x00, 0x01, 0x00, 0x01]);
        assert_eq!(out, [0, 0, 0, 3, 1, 0, 1]);
        out.clear();
        put_mpint(&mut out, &[0x80]);
        assert_eq!(out, [0, 0, 0, 2, 0, 0x80]);
    }
}
