//! Reading user-named files safely: only regular files are opened (a FIFO would block forever,
//! `/dev/zero` would never end), and never more than a stated number of bytes, checked before
//! and while reading (a file that grows in between is still cut off).

use std::io::Read;
use std::path::Path;

/// Why a file could not be read, without its name (callers place it).
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| reason(&e))?;
    if !meta.is_file() {
        return Err(format!(
            "not a regular file ({}); a0ctl reads only regular files",
            file_type(&meta)
        ));
    }
    if meta.len() > max {
        return Err(format!("larger than {}", size(max)));
    }
    let file = std::fs::File::open(path).map_err(|e| reason(&e))?;
    // The path may have been swapped for something else between the two looks.
    let opened = file.metadata().map_err(|e| reason(&e))?;
    if !opened.is_file() {
        return Err("not a regular file; a0ctl reads only regular files".into());
    }
    let mut bytes = Vec::with_capacity(opened.len().min(max) as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| reason(&e))?;
    if bytes.len() as u64 > max {
        return Err(format!("larger than {}", size(max)));
    }
    Ok(bytes)
}

/// A regular UTF-8 text file of at most `max` bytes; errors name the file and what it is.
pub fn read_regular(path: &Path, max: u64, what: &str) -> crate::error::Result<String> {
    let bytes = read_bounded(path, max).map_err(|e| {
        crate::diag::hinted(
            format!("cannot read the {what} {}: {e}", path.display()),
            "",
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        crate::diag::hinted(
            format!("cannot read the {what} {}: not UTF-8 text", path.display()),
            "",
        )
    })
}

/// An I/O error as a short reason.
pub fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Write `bytes` to `path` readable and writable by its owner only (0600 on Unix): the bytes go
/// to a private temporary file beside it that is renamed into place, so a reader never sees half
/// a file and a regular file already at `path` is replaced, not written through with its old
/// mode. Anything else at `path` (a device, a FIFO, a symbolic link) is an error.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes, true)
}

/// Write `bytes` to `path` as [`write_private`] does, but readable as `std::fs::write` makes
/// files (0666 less the umask): a FIFO or device at `path` is refused, never written through
/// (which would block, or write where it should not).
pub fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes, false)
}

fn replace(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    // Only a regular file is replaced: a device (`/dev/null`, `/dev/stdout`), a FIFO, a socket
    // or a symbolic link at the path is refused, never swapped for a file or written through.
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.is_file()
    {
        return Err(std::io::Error::other(format!(
            "{} is there; a0ctl writes only regular files",
            file_type(&meta)
        )));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".a0ctl-");
    // tempfile creates its files 0600 on Unix; shared files get the usual mode.
    #[cfg(unix)]
    if !private {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn file_type(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.file_type().is_symlink() {
        "a symbolic link"
    } else if meta.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_never_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "hello").unwrap();
        assert_eq!(read_bounded(&f, 5).unwrap(), b"hello");
        assert_eq!(read_bounded(&f, 4).unwrap_err(), "larger than 0 KiB");
        let e = read_bounded(dir.path(), 10).unwrap_err();
        assert!(e.contains("a directory"), "{e}");
        #[cfg(unix)]
        {
            let e = read_bounded(Path::new("/dev/zero"), 1 << 20).unwrap_err();
            assert!(e.contains("character device"), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_replaced_never_a_fifo_device_or_link() {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(".a0ctl-export");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Writing through a FIFO nobody reads would block forever; this returns, refused.
        let e = write_replacing(&fifo, b"list\n").unwrap_err().to_string();
        assert!(e.contains("a named pipe"), "{e}");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        let e = write_private(Path::new("/dev/null"), b"{}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a character device"), "{e}");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("/dev/stdout", &link).unwrap();
        let e = write_private(&link, b"{}").unwrap_err().to_string();
        assert!(e.contains("a symbolic link"), "{e}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let listed = dir.path().join("listed");
        write_replacing(&listed, b"list\n").unwrap();
        let meta = std::fs::symlink_metadata(&listed).unwrap();
        assert!(meta.is_file());
        assert_eq!(std::fs::read(&listed).unwrap(), b"list\n");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let usual = std::fs::metadata(&plain).unwrap().permissions().mode();
        assert_eq!(
            meta.permissions().mode() & 0o777,
            usual & 0o777,
            "the mode fs::write gives"
        );
        let private = dir.path().join("plan.json");
        write_private(&private, b"{}").unwrap();
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
