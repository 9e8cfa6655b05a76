//! Copies on image stores that the image service fills: a template's
//! (`template_store_ref`) or an uploaded volume's (`volume_store_ref`). Both tables share
//! the download states and the claim/progress/finish/fail steps here; what differs (the
//! row, the volume's own state) lives with each.

use chrono::{DateTime, Utc};

use crate::sql::{Bind, Sql};
use crate::{Conn, Result};

/// Which table a copy is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CopyOf {
    Template,
    Volume,
}

impl CopyOf {
    fn table(self) -> &'static str {
        match self {
            CopyOf::Template => "template_store_ref",
            CopyOf::Volume => "volume_store_ref",
        }
    }
}

/// An uploaded volume's copy on an image store.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VolumeRefRow {
    pub id: i64,
    pub volume_id: i64,
    pub store_id: i64,
    pub store_url: String,
    pub zone_id: i64,
    pub simulated: bool,
    pub download_state: String,
    pub download_pct: i32,
    pub error_str: Option<String>,
    pub source_url: Option<String>,
    pub format: String,
    pub checksum: Option<String>,
    pub install_path: Option<String>,
    pub size: Option<i64>,
    pub physical_size: Option<i64>,
    pub created: DateTime<Utc>,
}

impl VolumeRefRow {
    pub fn is_ready(&self) -> bool {
        self.download_state == crate::template::state::DOWNLOADED
    }
}

const VOLUME_REF_COLUMNS: &str = "SELECT r.id, r.volume_id, r.store_id, i.url AS store_url, \
     r.zone_id, r.simulated, r.download_state, r.download_pct, r.error_str, r.source_url, \
     r.format, r.checksum, r.install_path, r.size, r.physical_size, r.created \
     FROM volume_store_ref r JOIN image_store i ON i.id = r.store_id WHERE 1 = 1";

pub struct NewVolumeRef<'a> {
    pub volume_id: i64,
    pub store_id: i64,
    pub zone_id: i64,
    pub simulated: bool,
    /// NOT_DOWNLOADED (from a URL), NOT_UPLOADED (from a browser) or DOWNLOADED.
    pub download_state: &'a str,
    pub source_url: Option<&'a str>,
    pub format: &'a str,
    pub checksum: Option<&'a str>,
    /// A copy recorded finished (DOWNLOADED): a volume's image a host put in the store.
    pub done: Option<DoneCopy<'a>>,
}

pub struct DoneCopy<'a> {
    pub install_path: &'a str,
    pub size: i64,
    pub physical_size: i64,
}

impl Conn<'_> {
    /// A volume copy's volume follows it into CloudStack's upload state `state` (with
    /// the image's virtual size once known); template copies have nothing to follow.
    async fn move_volume_of(
        &mut self,
        of: CopyOf,
        ref_id: i64,
        state: &str,
        size: Option<i64>,
    ) -> Result<()> {
        if of != CopyOf::Volume {
            return Ok(());
        }
        let mut sql = Sql::new("UPDATE volume SET update_count = update_count + 1");
        sql.push_bind(", state = ?", [Bind::Str(state.into())]);
        if let Some(size) = size {
            sql.push_bind(", size = ?", [Bind::I64(size)]);
        }
        sql.push(" WHERE 1 = 1");
        sql.and(
            "id = (SELECT volume_id FROM volume_store_ref WHERE id = ?)",
            Bind::I64(ref_id),
        );
        self.execute(&sql).await?;
        Ok(())
    }

    /// Takes a pending copy for this server unless a live server holds it. Returns false
    /// when another server got it first.
    pub async fn claim_copy(
        &mut self,
        of: CopyOf,
        id: i64,
        msid: &str,
        live_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new(&format!("UPDATE {} SET ", of.table()));
        sql.push_bind(
            "owner_msid = ?, download_state = 'DOWNLOAD_IN_PROGRESS', \
             attempts = attempts + 1, updated = ? WHERE download_state IN \
             ('NOT_DOWNLOADED', 'DOWNLOAD_IN_PROGRESS')",
            [Bind::Str(msid.into()), Bind::Time(now)],
        );
        sql.and("id = ?", Bind::I64(id));
        sql.push_bind(
            " AND (owner_msid IS NULL OR owner_msid = ? OR owner_msid NOT IN \
             (SELECT uuid FROM mshost WHERE last_heartbeat >= ?))",
            [Bind::Str(msid.into()), Bind::Time(live_since)],
        );
        Ok(self.execute(&sql).await? == 1)
    }

    /// Records download progress while the copy is still in progress.
    pub async fn set_copy_progress(
        &mut self,
        of: CopyOf,
        id: i64,
        pct: i32,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new(&format!("UPDATE {} SET ", of.table()));
        sql.push_bind(
            "download_pct = ?, updated = ? WHERE download_state = 'DOWNLOAD_IN_PROGRESS'",
            [Bind::I64(pct.into()), Bind::Time(now)],
        );
        sql.and("id = ?", Bind::I64(id));
        Ok(self.execute(&sql).await? == 1)
    }

    /// Marks a copy ready with its sizes and path (an uploaded volume becomes Uploaded,
    /// with the image's virtual size).
    pub async fn finish_copy(
        &mut self,
        of: CopyOf,
        id: i64,
        install_path: &str,
        size: i64,
        physical_size: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new(&format!("UPDATE {} SET ", of.table()));
        sql.push_bind(
            "download_state = 'DOWNLOADED', download_pct = 100, error_str = NULL, \
             install_path = ?, size = ?, physical_size = ?, owner_msid = NULL, updated = ? \
             WHERE download_state IN ('DOWNLOAD_IN_PROGRESS', 'UPLOAD_IN_PROGRESS')",
            [
                Bind::Str(install_path.into()),
                Bind::I64(size),
                Bind::I64(physical_size),
                Bind::Time(now),
            ],
        );
        sql.and("id = ?", Bind::I64(id));
        if self.execute(&sql).await? != 1 {
            return Ok(false);
        }
        self.move_volume_of(of, id, "Uploaded", Some(size)).await?;
        Ok(true)
    }

    /// Ends a copy in an error (or abandoned) state with the reason; its volume becomes
    /// UploadError.
    pub async fn fail_copy(
        &mut self,
        of: CopyOf,
        id: i64,
        state: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new(&format!("UPDATE {} SET ", of.table()));
        sql.push_bind(
            "download_state = ?, error_str = ?, owner_msid = NULL, updated = ? \
             WHERE download_state IN ('DOWNLOAD_IN_PROGRESS', 'UPLOAD_IN_PROGRESS')",
            [
                Bind::Str(state.into()),
                Bind::Str(error.into()),
                Bind::Time(now),
            ],
        );
        sql.and("id = ?", Bind::I64(id));
        if self.execute(&sql).await? != 1 {
            return Ok(false);
        }
        self.move_volume_of(of, id, "UploadError", None).await?;
        Ok(true)
    }

    /// Moves a browser upload on: NOT_UPLOADED → UPLOAD_IN_PROGRESS, only once (its
    /// volume: NotUploaded → UploadInProgress).
    pub async fn start_upload(&mut self, of: CopyOf, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let mut sql = Sql::new(&format!("UPDATE {} SET ", of.table()));
        sql.push_bind(
            "download_state = 'UPLOAD_IN_PROGRESS', updated = ? \
             WHERE download_state = 'NOT_UPLOADED'",
            [Bind::Time(now)],
        );
        sql.and("id = ?", Bind::I64(id));
        if self.execute(&sql).await? != 1 {
            return Ok(false);
        }
        self.move_volume_of(of, id, "UploadInProgress", None)
            .await?;
        Ok(true)
    }

    /// Uploads that never started (or never finished) before `before` are abandoned,
    /// in both tables; their volumes become UploadAbandoned.
    pub async fn abandon_stale_uploads(
        &mut self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut total = 0;
        for of in [CopyOf::Template, CopyOf::Volume] {
            let mut sql = Sql::new(&format!("UPDATE {} SET ", of.table()));
            sql.push_bind(
                "download_state = 'ABANDONED', error_str = 'The upload was not completed in \
                 time (upload.operation.timeout)', updated = ? WHERE download_state IN \
                 ('NOT_UPLOADED', 'UPLOAD_IN_PROGRESS')",
                [Bind::Time(now)],
            );
            sql.and("updated < ?", Bind::Time(before));
            total += self.execute(&sql).await?;
        }
        let mut v = Sql::new("UPDATE volume SET update_count = update_count + 1");
        v.push(
            ", state = 'UploadAbandoned' WHERE state IN ('NotUploaded', 'UploadInProgress') \
             AND id IN (SELECT volume_id FROM volume_store_ref \
             WHERE download_state = 'ABANDONED')",
        );
        self.execute(&v).await?;
        Ok(total)
    }

    pub async fn insert_volume_ref(
        &mut self,
        r: &NewVolumeRef<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let done = r.done.as_ref();
        let mut sql = Sql::new(
            "INSERT INTO volume_store_ref (volume_id, store_id, zone_id, simulated, \
             download_state, download_pct, source_url, format, checksum, install_path, size, \
             physical_size, attempts, created, updated) VALUES (",
        );
        sql.push_bind(
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
            [
                Bind::I64(r.volume_id),
                Bind::I64(r.store_id),
                Bind::I64(r.zone_id),
                Bind::Bool(r.simulated),
                Bind::Str(r.download_state.into()),
                Bind::I64(if done.is_some() { 100 } else { 0 }),
                Bind::OptStr(r.source_url.map(str::to_string)),
                Bind::Str(r.format.into()),
                Bind::OptStr(r.checksum.map(str::to_string)),
                Bind::OptStr(done.map(|d| d.install_path.to_string())),
                Bind::OptI64(done.map(|d| d.size)),
                Bind::OptI64(done.map(|d| d.physical_size)),
                Bind::Time(now),
                Bind::Time(now),
            ],
        );
        self.fetch_count(&sql).await
    }

    pub async fn volume_ref_by_id(&mut self, id: i64) -> Result<Option<VolumeRefRow>> {
        let mut sql = Sql::new(VOLUME_REF_COLUMNS);
        sql.and("r.id = ?", Bind::I64(id));
        Ok(self.fetch_all(&sql).await?.into_iter().next())
    }

    /// The upload copy of each of these volumes that has one.
    pub async fn volume_refs(&mut self, volume_ids: &[i64]) -> Result<Vec<VolumeRefRow>> {
        let mut sql = Sql::new(VOLUME_REF_COLUMNS);
        sql.and_in(
            "r.volume_id",
            volume_ids.iter().map(|i| Bind::I64(*i)).collect(),
        );
        self.fetch_all(&sql).await
    }

    /// Volume copies that still need a download, oldest first.
    pub async fn pending_volume_refs(&mut self, limit: i64) -> Result<Vec<VolumeRefRow>> {
        let mut sql = Sql::new(VOLUME_REF_COLUMNS);
        sql.push(" AND r.download_state IN ('NOT_DOWNLOADED', 'DOWNLOAD_IN_PROGRESS')");
        sql.push_bind(" ORDER BY r.id LIMIT ?", [Bind::I64(limit)]);
        self.fetch_all(&sql).await
    }

    /// Bytes of an account's finished volume copies in image stores (uploaded or
    /// extracted volumes).
    pub async fn account_volume_copy_bytes(&mut self, account_id: i64) -> Result<i64> {
        let mut sql = Sql::new(
            "SELECT CAST(COALESCE(SUM(r.physical_size), 0) AS BIGINT) FROM volume_store_ref r \
             JOIN volume v ON v.id = r.volume_id WHERE v.removed IS NULL \
             AND r.download_state = 'DOWNLOADED'",
        );
        sql.and("v.account_id = ?", Bind::I64(account_id));
        self.fetch_count(&sql).await
    }

    /// Uploaded volumes' copies an image store holds.
    pub async fn count_store_volume_refs(&mut self, store_id: i64) -> Result<i64> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM volume_store_ref r WHERE 1 = 1");
        sql.and("r.store_id = ?", Bind::I64(store_id));
        self.fetch_count(&sql).await
    }

    pub async fn delete_volume_ref(&mut self, id: i64) -> Result<()> {
        let mut sql = Sql::new("DELETE FROM volume_store_ref WHERE 1 = 1");
        sql.and("id = ?", Bind::I64(id));
        self.execute(&sql).await?;
        Ok(())
    }
}
