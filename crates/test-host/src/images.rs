//! Disk images for tests, made with the real qemu-img (and an ISO9660 image written
//! by hand, as no ISO tool is installed on the build machines).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// `qemu-img create -f <format> <path> <size>`; `format` is qemu-img's name
/// (`qcow2`, `raw`, `vpc`, `vmdk`).
pub fn make_image(path: &Path, format: &str, size: u64) -> Result<(), String> {
    qemu_img_create(&["-f", format], path, size)
}

/// An empty qcow2 image of `size` virtual bytes.
pub fn make_qcow2(path: &Path, size: u64) -> Result<(), String> {
    make_image(path, "qcow2", size)
}

/// A qcow2 image whose backing file is `backing` (an existing qcow2 image).
pub fn make_qcow2_with_backing(path: &Path, backing: &Path, size: u64) -> Result<(), String> {
    let backing = backing.to_str().ok_or("backing path is not UTF-8")?;
    qemu_img_create(&["-f", "qcow2", "-b", backing, "-F", "qcow2"], path, size)
}

/// A qcow2 image whose data lives in the external file `data_file` (created by
/// qemu-img; its path must not contain a comma).
pub fn make_qcow2_with_data_file(path: &Path, data_file: &Path, size: u64) -> Result<(), String> {
    let data_file = data_file.to_str().ok_or("data file path is not UTF-8")?;
    qemu_img_create(
        &["-f", "qcow2", "-o", &format!("data_file={data_file}")],
        path,
        size,
    )
}

fn qemu_img_create(options: &[&str], path: &Path, size: u64) -> Result<(), String> {
    let out = Command::new("qemu-img")
        .arg("create")
        .args(options)
        .arg(path)
        .arg(size.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run qemu-img: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "qemu-img create {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

const SECTOR: usize = 2048;
const ISO_SECTORS: u32 = 32;
const ROOT_DIR_SECTOR: u32 = 20;

/// Writes a small, valid, empty ISO9660 image (64 KiB): a primary volume descriptor
/// (with "CD001" at 0x8001), the terminator, path tables and a root directory.
pub fn make_iso(path: &Path) -> Result<(), String> {
    let mut iso = vec![0u8; SECTOR * ISO_SECTORS as usize];
    iso[16 * SECTOR..17 * SECTOR].copy_from_slice(&primary_volume_descriptor());
    let terminator = &mut iso[17 * SECTOR..18 * SECTOR];
    terminator[0] = 255;
    terminator[1..6].copy_from_slice(b"CD001");
    terminator[6] = 1;
    // Path tables (little- then big-endian): the root directory only.
    let mut l_table = vec![1u8, 0];
    l_table.extend_from_slice(&ROOT_DIR_SECTOR.to_le_bytes());
    l_table.extend_from_slice(&1u16.to_le_bytes());
    l_table.extend_from_slice(&[0, 0]);
    iso[18 * SECTOR..18 * SECTOR + 10].copy_from_slice(&l_table);
    let mut m_table = vec![1u8, 0];
    m_table.extend_from_slice(&ROOT_DIR_SECTOR.to_be_bytes());
    m_table.extend_from_slice(&1u16.to_be_bytes());
    m_table.extend_from_slice(&[0, 0]);
    iso[19 * SECTOR..19 * SECTOR + 10].copy_from_slice(&m_table);
    let root = ROOT_DIR_SECTOR as usize * SECTOR;
    iso[root..root + 34].copy_from_slice(&directory_record(0));
    iso[root + 34..root + 68].copy_from_slice(&directory_record(1));
    fs::write(path, iso).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn primary_volume_descriptor() -> Vec<u8> {
    let mut d = vec![0u8; SECTOR];
    d[0] = 1;
    d[1..6].copy_from_slice(b"CD001");
    d[6] = 1;
    d[8..40].fill(b' ');
    d[40..72].copy_from_slice(format!("{:<32}", "STRATO_TEST").as_bytes());
    d[80..88].copy_from_slice(&both_u32(ISO_SECTORS));
    d[120..124].copy_from_slice(&both_u16(1));
    d[124..128].copy_from_slice(&both_u16(1));
    d[128..132].copy_from_slice(&both_u16(SECTOR as u16));
    d[132..140].copy_from_slice(&both_u32(10));
    d[140..144].copy_from_slice(&18u32.to_le_bytes());
    d[148..152].copy_from_slice(&19u32.to_be_bytes());
    d[156..190].copy_from_slice(&directory_record(0));
    d[190..813].fill(b' ');
    // Four unset dates: 16 ASCII zeros and a zero time zone each.
    for date in 0..4 {
        let at = 813 + date * 17;
        d[at..at + 16].fill(b'0');
    }
    d[881] = 1;
    d
}

/// The root directory's "." (id 0) or ".." (id 1) record.
fn directory_record(id: u8) -> [u8; 34] {
    let mut r = [0u8; 34];
    r[0] = 34;
    r[2..10].copy_from_slice(&both_u32(ROOT_DIR_SECTOR));
    r[10..18].copy_from_slice(&both_u32(SECTOR as u32));
    r[25] = 0x02;
    r[28..32].copy_from_slice(&both_u16(1));
    r[32] = 1;
    r[33] = id;
    r
}

/// ISO9660 "both-endian" fields: little-endian then big-endian.
fn both_u32(v: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&v.to_le_bytes());
    b[4..].copy_from_slice(&v.to_be_bytes());
    b
}

fn both_u16(v: u16) -> [u8; 4] {
    let mut b = [0u8; 4];
    b[..2].copy_from_slice(&v.to_le_bytes());
    b[2..].copy_from_slice(&v.to_be_bytes());
    b
}
