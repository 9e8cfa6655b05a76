-- Volumes uploaded from a URL or a browser (uploadVolume, getUploadParamsForVolume): the
-- copy on an image store the image service fills, as template_store_ref does for
-- templates. A volume has at most one such copy; it goes once the volume is copied to
-- primary storage.

CREATE TABLE volume_store_ref (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    volume_id INTEGER NOT NULL UNIQUE REFERENCES volume(id),
    store_id INTEGER NOT NULL REFERENCES image_store(id),
    zone_id INTEGER NOT NULL REFERENCES zone(id),
    -- Simulator zones: nothing is fetched, progress is simulated.
    simulated BOOLEAN NOT NULL,
    -- The download states of template_store_ref.
    download_state TEXT NOT NULL,
    download_pct INTEGER NOT NULL,
    error_str TEXT,
    source_url TEXT,
    -- QCOW2, RAW, VHD, VMDK, OVA; the checksum the file must have.
    format TEXT NOT NULL,
    checksum TEXT,
    install_path TEXT,
    size BIGINT,
    physical_size BIGINT,
    owner_msid TEXT,
    attempts INTEGER NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX volume_store_ref_pending ON volume_store_ref(download_state)
    WHERE download_state IN ('NOT_DOWNLOADED', 'DOWNLOAD_IN_PROGRESS');
