//! Deployment size of a function: the release binary, and the zip Lambda receives
//! (the binary stored as `bootstrap`, mode 755, deflated, as cargo-lambda packs it).

use std::io::{Cursor, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The zip archive of a custom-runtime function whose binary is `binary`.
pub fn lambda_zip(binary: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .large_file(binary.len() >= u32::MAX as usize);
    zip.start_file("bootstrap", options)?;
    zip.write_all(binary)?;
    Ok(zip.finish()?.into_inner())
}

/// Sizes in bytes of a binary and of its Lambda zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub binary: u64,
    pub zip: u64,
}

pub fn sizes(binary: &Path) -> std::io::Result<Sizes> {
    let bytes = std::fs::read(binary)?;
    let zip = lambda_zip(&bytes).map_err(std::io::Error::other)?;
    Ok(Sizes {
        binary: bytes.len() as u64,
        zip: zip.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_zip_holds_the_binary_as_an_executable_bootstrap_and_compresses_it() {
        let binary: Vec<u8> = (0..200_000u32).map(|i| (i % 7) as u8).collect();
        let zipped = lambda_zip(&binary).unwrap();
        assert!(zipped.len() < binary.len() / 10, "{} bytes", zipped.len());

        let mut archive = zip::ZipArchive::new(Cursor::new(zipped)).unwrap();
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name(), "bootstrap");
        assert_eq!(entry.compression(), CompressionMethod::Deflated);
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut back = Vec::new();
        entry.read_to_end(&mut back).unwrap();
        assert_eq!(back, binary);
    }
}
