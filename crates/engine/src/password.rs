//! Password hashing with Argon2id (salted, deliberately slow).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use strato_common::ApiError;

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| ApiError::internal("unable to hash the password"))
}

/// True if `password` matches the stored hash; false for any malformed hash.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let h = super::hash("s3cret").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("s3cret", &h));
        assert!(!super::verify("other", &h));
        assert!(!super::verify("s3cret", "not-a-hash"));
    }
}
