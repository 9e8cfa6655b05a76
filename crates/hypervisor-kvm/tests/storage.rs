//! Storage on a temporary pool with the real `qemu-img`: linked clones of a template,
//! provisioning types, resize, external snapshots and revert, copies, and refusing a
//! template that points at a host file. Needs `qemu-img`/`qemu-io` only (no libvirt).

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{has_pattern, has_tool, require, run, write_pattern};
use strato_agent_proto::{
    AnswerData, ErrorKind, PoolKind, PoolSpec, Provisioning, TemplateRef, VolumeRef,
};
use strato_hypervisor_kvm::qcow2;
use strato_hypervisor_kvm::storage::Storage;

const MIB: u64 = 1 << 20;

fn vol(pool: &str, uuid: &str) -> VolumeRef {
    VolumeRef {
        pool_uuid: pool.into(),
        volume_uuid: uuid.into(),
    }
}

fn template(uuid: &str, path: &Path) -> TemplateRef {
    TemplateRef {
        uuid: uuid.into(),
        url: Some(format!("file://{}", path.display())),
        size_bytes: 64 * MIB,
        format: Some("QCOW2".into()),
    }
}

fn backing(path: &Path) -> Option<String> {
    let head = qcow2::read_head(path).expect("read header");
    qcow2::parse(&head).expect("qcow2").backing_file
}

fn size_of(answer: &AnswerData) -> u64 {
    match answer {
        AnswerData::Volume(v) => v.size_bytes,
        other => panic!("not a volume: {other:?}"),
    }
}

fn digest(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[tokio::test]
async fn volumes_clone_resize_snapshot_revert_and_refuse_evil_templates() {
    if !require(
        "qemu-img and qemu-io",
        has_tool("qemu-img") && has_tool("qemu-io"),
    ) {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let images = work.path().join("secondary");
    std::fs::create_dir_all(&images).expect("mkdir");
    let tpl_file = images.join("tpl.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            tpl_file.to_str().unwrap_or_default(),
            "64M",
        ],
    );
    write_pattern(&tpl_file, 0x11);
    let storage = Storage::new(vec![images.clone()]);
    let pool_dir = work.path().join("primary");
    let pool = storage
        .modify_pool(PoolSpec {
            uuid: "p1".into(),
            kind: PoolKind::Filesystem,
            host: None,
            path: pool_dir.display().to_string(),
            capacity_bytes: None,
        })
        .await
        .expect("mount pool");
    let AnswerData::Pool(info) = pool else {
        panic!("not a pool: {pool:?}")
    };
    assert!(info.capacity_bytes > 0);
    // A shared mount point must already be there; NFS and RBD are not mounted by us.
    let shared = |kind, path: &Path| PoolSpec {
        uuid: "p2".into(),
        kind,
        host: Some("nfs.example".into()),
        path: path.display().to_string(),
        capacity_bytes: None,
    };
    let absent = storage
        .modify_pool(shared(
            PoolKind::SharedMountPoint,
            &work.path().join("nope"),
        ))
        .await;
    assert_eq!(absent.map_err(|e| e.kind).err(), Some(ErrorKind::NotFound));
    storage
        .modify_pool(shared(PoolKind::SharedMountPoint, &images))
        .await
        .expect("an existing directory");
    storage.delete_pool("p2").expect("unmount");
    let nfs = storage
        .modify_pool(shared(PoolKind::NetworkFilesystem, &images))
        .await;
    assert_eq!(nfs.map_err(|e| e.kind).err(), Some(ErrorKind::Unsupported));

    // Root volume: a linked clone, at least the template's size; the template is copied
    // into the pool once and shared by the next clone.
    let t = template("t1", &tpl_file);
    let root = vol("p1", "root-1");
    let started = std::time::Instant::now();
    let a = storage
        .create_volume(&root, 128 * MIB, Some(&t), None)
        .await
        .expect("clone");
    eprintln!(
        "linked clone (with first template copy): {:?}",
        started.elapsed()
    );
    assert_eq!(size_of(&a), 128 * MIB);
    let root_path = storage.volume_path(&root).expect("path");
    let pool_tpl = pool_dir.join("templates/t1.qcow2");
    assert_eq!(backing(&root_path), Some(pool_tpl.display().to_string()));
    assert!(
        has_pattern(&root_path, 0x11),
        "the clone shows the template's data"
    );
    let tpl_before = digest(&pool_tpl);
    let tpl_inode = std::fs::metadata(&pool_tpl).expect("stat").ino();
    let again = storage
        .create_volume(&root, 128 * MIB, Some(&t), None)
        .await
        .expect("retry");
    assert_eq!(
        again, a,
        "a retried CreateVolume answers the existing volume"
    );
    let small = storage
        .create_volume(&vol("p1", "root-2"), 0, Some(&t), None)
        .await
        .expect("second clone");
    assert_eq!(size_of(&small), 64 * MIB, "no size: the template's size");
    assert_eq!(std::fs::metadata(&pool_tpl).expect("stat").ino(), tpl_inode);

    // Data volumes and their provisioning.
    for (uuid, prov, min_alloc) in [
        ("thin", Some(Provisioning::Thin), 0),
        ("sparse", Some(Provisioning::Sparse), 0),
        ("fat", Some(Provisioning::Fat), 16 * MIB),
    ] {
        let v = vol("p1", uuid);
        let answer = storage
            .create_volume(&v, 16 * MIB, None, prov)
            .await
            .expect("data volume");
        assert_eq!(size_of(&answer), 16 * MIB);
        let path = storage.volume_path(&v).expect("path");
        let allocated = std::fs::metadata(&path).expect("stat").blocks() * 512;
        assert!(
            allocated >= min_alloc,
            "{uuid}: {allocated} bytes allocated"
        );
        assert_eq!(backing(&path), None);
    }
    let thin_alloc = std::fs::metadata(storage.volume_path(&vol("p1", "thin")).expect("p"))
        .expect("stat")
        .blocks()
        * 512;
    assert!(
        thin_alloc < 16 * MIB,
        "thin volumes reserve nothing ({thin_alloc})"
    );
    let no_size = storage.create_volume(&vol("p1", "x"), 0, None, None).await;
    assert_eq!(no_size.map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));

    // Resize.
    let grown = storage
        .resize_volume(&root, 256 * MIB, false)
        .await
        .expect("grow");
    assert_eq!(size_of(&grown), 256 * MIB);
    let shrink = storage.resize_volume(&root, 128 * MIB, false).await;
    assert_eq!(shrink.map_err(|e| e.kind), Err(ErrorKind::InvalidArgument));
    let same = storage
        .resize_volume(&root, 256 * MIB, false)
        .await
        .expect("same size");
    assert_eq!(size_of(&same), 256 * MIB);

    // Snapshots: s1 holds 0x22, s2 holds 0x33; the active layer then gets 0x44.
    write_pattern(&root_path, 0x22);
    let s1 = storage.create_snapshot(&root, "s1").await.expect("s1");
    write_pattern(&root_path, 0x33);
    let s2 = storage.create_snapshot(&root, "s2").await.expect("s2");
    assert_eq!(
        storage.create_snapshot(&root, "s2").await.expect("retry"),
        s2,
        "a retried CreateSnapshot answers the existing snapshot"
    );
    let AnswerData::Snapshot(s1_info) = &s1 else {
        panic!("not a snapshot: {s1:?}")
    };
    assert_eq!(s1_info.size_bytes, 256 * MIB);
    write_pattern(&root_path, 0x44);
    let reverted = storage
        .revert_snapshot(&root, "s1")
        .await
        .expect("revert s1");
    assert_eq!(size_of(&reverted), 256 * MIB);
    assert!(has_pattern(&root_path, 0x22), "revert to s1");
    storage
        .revert_snapshot(&root, "s2")
        .await
        .expect("revert s2");
    assert!(has_pattern(&root_path, 0x33), "revert to s2");
    // Deleting s1 (s2 sits on it) keeps s2's content.
    storage
        .delete_snapshot(&root, "s1")
        .await
        .expect("delete s1");
    storage
        .delete_snapshot(&root, "s1")
        .await
        .expect("delete s1 again");
    assert!(!pool_dir.join("snapshots/root-1/s1.qcow2").exists());
    storage
        .revert_snapshot(&root, "s2")
        .await
        .expect("revert s2 again");
    assert!(has_pattern(&root_path, 0x33), "s2 survives deleting s1");
    // Deleting s2 (the active layer sits on it) keeps the active layer's content.
    write_pattern(&root_path, 0x55);
    storage
        .delete_snapshot(&root, "s2")
        .await
        .expect("delete s2");
    assert!(has_pattern(&root_path, 0x55));
    assert_eq!(backing(&root_path), Some(pool_tpl.display().to_string()));
    let missing = storage.revert_snapshot(&root, "s2").await;
    assert_eq!(missing.map_err(|e| e.kind), Err(ErrorKind::NotFound));
    // Nothing of this ever wrote into the template.
    assert_eq!(
        digest(&pool_tpl),
        tpl_before,
        "the pool's template is untouched"
    );
    assert!(has_pattern(&tpl_file, 0x11));

    // Backups and copies are standalone.
    write_pattern(&root_path, 0x66);
    storage.create_snapshot(&root, "s3").await.expect("s3");
    let backup_root = work.path().join("backups");
    let backup = storage
        .backup_snapshot(&root, "s3", &format!("file://{}", backup_root.display()))
        .await
        .expect("backup");
    let AnswerData::SnapshotBackup { path, .. } = backup else {
        panic!("not a backup: {backup:?}")
    };
    let backup_file = backup_root.join(&path);
    assert_eq!(backing(&backup_file), None);
    assert!(has_pattern(&backup_file, 0x66));
    let copy = vol("p1", "copy");
    storage.copy_volume(&root, &copy).await.expect("copy");
    let copy_path = storage.volume_path(&copy).expect("path");
    assert_eq!(backing(&copy_path), None);
    assert!(has_pattern(&copy_path, 0x66));

    // Delete: the volume and its snapshots go; again succeeds.
    storage.delete_volume(&root).await.expect("delete");
    assert!(!root_path.exists());
    assert!(!pool_dir.join("snapshots/root-1").exists());
    storage.delete_volume(&root).await.expect("delete again");

    // A template whose backing file is /etc/passwd is refused before anything opens it.
    let evil = images.join("evil.qcow2");
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "qcow2",
            "-F",
            "raw",
            "-b",
            "/etc/passwd",
            evil.to_str().unwrap_or_default(),
            "1M",
        ],
    );
    let refused = storage
        .create_volume(
            &vol("p1", "evil-root"),
            0,
            Some(&template("evil", &evil)),
            None,
        )
        .await
        .expect_err("evil template");
    assert_eq!(refused.kind, ErrorKind::InvalidArgument, "{refused}");
    assert!(refused.message.contains("/etc/passwd"), "{refused}");
    assert!(!pool_dir.join("evil-root").exists());
    assert!(!pool_dir.join("templates/evil.qcow2").exists());
    // So is a template outside the image directories, and a device.
    let outside = work.path().join("outside.qcow2");
    std::fs::copy(&tpl_file, &outside).expect("copy");
    let err = storage
        .create_volume(&vol("p1", "o"), 0, Some(&template("o", &outside)), None)
        .await
        .expect_err("outside");
    assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
    let err = storage
        .create_volume(
            &vol("p1", "d"),
            0,
            Some(&template("d", Path::new("/dev/null"))),
            None,
        )
        .await
        .expect_err("device");
    assert_ne!(err.kind, ErrorKind::Failed, "{err}");
    // A file of a pool (another tenant's disk, maybe) is no template either.
    let thin_path = storage.volume_path(&vol("p1", "thin")).expect("path");
    let err = storage
        .create_volume(&vol("p1", "t"), 0, Some(&template("t", &thin_path)), None)
        .await
        .expect_err("pool file");
    assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
    // And a volume rebased by hand onto a host file is refused before a VM opens it.
    let rogue = vol("p1", "rogue");
    storage
        .create_volume(&rogue, 16 * MIB, None, None)
        .await
        .expect("rogue");
    let rogue_path = storage.volume_path(&rogue).expect("path");
    run(
        "qemu-img",
        &[
            "rebase",
            "-u",
            "-f",
            "qcow2",
            "-F",
            "qcow2",
            "-b",
            "/etc/passwd",
            rogue_path.to_str().unwrap_or_default(),
        ],
    );
    let err = storage.checked_volume(&rogue).expect_err("rogue chain");
    assert_eq!(err.kind, ErrorKind::InvalidArgument, "{err}");
}
