//! Password hashing with Argon2id (salted, deliberately slow).

use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use strato_common::ApiError;

/// One Argon2 computation at a time: each takes a 19 MiB work buffer, which the
/// allocator keeps afterwards; running them one by one bounds that to one buffer.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> Result<String, ApiError> {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| ApiError::internal("unable to hash the password"))
}

/// [`hash`] on a blocking thread: Argon2 takes tens of milliseconds of CPU and must
/// not stall the async workers that serve other requests.
pub async fn hash_off_thread(password: &str) -> Result<String, ApiError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|_| ApiError::internal("password hashing was interrupted"))?
}

/// True if `password` matches the stored hash; false for any malformed hash.
pub fn verify(password: &str, stored: &str) -> bool {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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
