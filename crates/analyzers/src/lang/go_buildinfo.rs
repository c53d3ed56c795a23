//! The build information the Go linker embeds in every binary since Go 1.13: a 32-byte header
//! starting `\xff Go buildinf:`, then either (Go ≥ 1.18, flag bit 2) two varint-prefixed
//! strings inline, or (older) two pointers to Go string headers `{data, len}` in the data
//! segment. The strings are the toolchain version (`go1.19.8`) and the module info text that
//! `go version -m` prints.

use super::binary::{slice, Executable};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// Longest version or module-info string read; real ones are a few KiB.
const MAX_STRING: u64 = 16 << 20;
const SECTIONS: &[&str] = &[".go.buildinfo", "__go_buildinfo"];

/// The toolchain version and the raw module info (may be empty: built outside module mode).
#[derive(Debug, PartialEq, Eq)]
pub struct BuildInfo {
    pub go_version: String,
    pub modinfo: String,
}

/// Reads the build info of a Go binary: `Ok(None)` when the file is not an executable or not
/// built by Go; `Err` when the header is there but what it points to is not.
pub fn read(bytes: &[u8]) -> Result<Option<BuildInfo>, String> {
    let Some(exe) = Executable::parse(bytes)? else {
        return Ok(None);
    };
    let Some(header) = find_header(&exe, bytes) else {
        return Ok(None);
    };
    let (ptr_size, flags) = match (header.get(14), header.get(15)) {
        (Some(&p), Some(&f)) => (p, f),
        _ => return Err("truncated Go buildinfo header".into()),
    };
    let (version, modinfo) = if flags & 2 != 0 {
        let mut rest = header.get(HEADER_LEN..).unwrap_or_default();
        let version = varint_string(&mut rest)?;
        let modinfo = varint_string(&mut rest)?;
        (version, modinfo)
    } else {
        let big_endian = flags & 1 != 0;
        let word = |at: usize| read_word(header, at, ptr_size, big_endian);
        let version_at = word(16).ok_or("truncated Go buildinfo header")?;
        let modinfo_at = word(16 + usize::from(ptr_size)).ok_or("truncated Go buildinfo header")?;
        (
            go_string(&exe, bytes, version_at, ptr_size, big_endian)?,
            go_string(&exe, bytes, modinfo_at, ptr_size, big_endian)?,
        )
    };
    let go_version = String::from_utf8(version.to_vec())
        .ok()
        .filter(|v| v.starts_with("go") || v.starts_with("devel"))
        .ok_or("Go buildinfo version is not a Go version")?;
    let modinfo = String::from_utf8_lossy(strip_sentinels(modinfo)).into_owned();
    Ok(Some(BuildInfo {
        go_version,
        modinfo,
    }))
}

/// The header: at the start of the buildinfo section, or (PE, ELF without section headers)
/// 16-byte aligned in the writable data, where `go version` looks too.
fn find_header<'a>(exe: &'a Executable, bytes: &'a [u8]) -> Option<&'a [u8]> {
    if let Some(section) = exe.section(bytes, SECTIONS) {
        return section.starts_with(MAGIC).then_some(section);
    }
    exe.data(bytes).find_map(|data| {
        (0..data.len())
            .step_by(16)
            .find(|&at| data.get(at..at + MAGIC.len()) == Some(MAGIC))
            .and_then(|at| data.get(at..))
    })
}

/// A varint length then that many bytes, advancing `rest`.
fn varint_string<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let mut len: u64 = 0;
    let mut used = 0;
    for (i, &b) in rest.iter().enumerate().take(10) {
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            used = i + 1;
            break;
        }
    }
    if used == 0 || len > MAX_STRING {
        return Err("corrupt Go buildinfo string length".into());
    }
    let data = slice(rest, used as u64, len).ok_or("Go buildinfo string runs past the file")?;
    *rest = rest.get(used + data.len()..).unwrap_or_default();
    Ok(data)
}

fn read_word(bytes: &[u8], at: usize, size: u8, big_endian: bool) -> Option<u64> {
    let raw = bytes.get(at..at.checked_add(usize::from(size))?)?;
    match (size, big_endian) {
        (4, false) => Some(u32::from_le_bytes(raw.try_into().ok()?).into()),
        (4, true) => Some(u32::from_be_bytes(raw.try_into().ok()?).into()),
        (8, false) => Some(u64::from_le_bytes(raw.try_into().ok()?)),
        (8, true) => Some(u64::from_be_bytes(raw.try_into().ok()?)),
        _ => None,
    }
}

/// A Go string header `{data pointer, length}` at virtual address `addr`, and its data.
fn go_string<'a>(
    exe: &Executable,
    bytes: &'a [u8],
    addr: u64,
    ptr_size: u8,
    big_endian: bool,
) -> Result<&'a [u8], String> {
    let out_of_range = || format!("Go buildinfo pointer {addr:#x} is outside the file");
    let header = exe
        .read_at(bytes, addr, 2 * u64::from(ptr_size))
        .ok_or_else(out_of_range)?;
    let data = read_word(header, 0, ptr_size, big_endian).ok_or_else(out_of_range)?;
    let len = read_word(header, ptr_size.into(), ptr_size, big_endian).ok_or_else(out_of_range)?;
    if len > MAX_STRING {
        return Err(format!("Go buildinfo string of {len} bytes is implausible"));
    }
    exe.read_at(bytes, data, len)
        .ok_or_else(|| format!("Go buildinfo pointer {data:#x} is outside the file"))
}

/// The module info is framed by two 16-byte sentinels, the second after a newline.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n >= 33 && modinfo.get(n - 17) == Some(&b'\n') {
        &modinfo[16..n - 16]
    } else {
        modinfo
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const BASE: u64 = 0x40_0000;

    /// A minimal little-endian ELF64 whose one writable PT_LOAD maps the whole file at `BASE`, with
    /// `payload` at offset 128: enough for the pointer-based (pre-1.18) buildinfo format.
    pub(crate) fn elf_with(payload: &[u8]) -> Vec<u8> {
        let total = 128 + payload.len() as u64;
        let mut b = Vec::new();
        b.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        b.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        b.extend_from_slice(&0x3eu16.to_le_bytes()); // x86-64
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&BASE.to_le_bytes()); // entry
        b.extend_from_slice(&64u64.to_le_bytes()); // phoff
        b.extend_from_slice(&0u64.to_le_bytes()); // shoff
        b.extend_from_slice(&0u32.to_le_bytes());
        for v in [64u16, 56, 1, 64, 0, 0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        b.extend_from_slice(&6u32.to_le_bytes()); // PF_R | PF_W: the data segment
        for v in [0, BASE, BASE, total, total, 0x1000] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.resize(128, 0);
        b.extend_from_slice(payload);
        b
    }

    /// Pointer-format buildinfo: header at 128, string headers at 160 and 176, data after.
    pub(crate) fn pointer_format(version: &str, modinfo: &[u8], bad_pointer: bool) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(MAGIC);
        p.extend_from_slice(&[8, 0]);
        let version_header = BASE + 160;
        let modinfo_header = if bad_pointer { 0xdead_beef } else { BASE + 176 };
        p.extend_from_slice(&version_header.to_le_bytes());
        p.extend_from_slice(&modinfo_header.to_le_bytes());
        let version_data = BASE + 192;
        let modinfo_data = version_data + version.len() as u64;
        for (at, len) in [(version_data, version.len()), (modinfo_data, modinfo.len())] {
            p.extend_from_slice(&at.to_le_bytes());
            p.extend_from_slice(&(len as u64).to_le_bytes());
        }
        p.extend_from_slice(version.as_bytes());
        p.extend_from_slice(modinfo);
        elf_with(&p)
    }

    /// Module info as the linker frames it: 16-byte sentinels around text ending in `\n`.
    pub(crate) fn framed(modinfo: &str) -> Vec<u8> {
        [b"0123456789abcdef", modinfo.as_bytes(), b"fedcba9876543210"].concat()
    }

    #[test]
    fn reads_the_pointer_format() {
        let text = "path\texample.com/old\nmod\texample.com/old\tv1.0.0\t\n";
        let bin = pointer_format("go1.16.15", &framed(text), false);
        let info = read(&bin).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.16.15");
        assert_eq!(info.modinfo, text);
    }

    #[test]
    fn pointer_out_of_range_is_an_error() {
        let bin = pointer_format("go1.16.15", &framed("path\tx\n"), true);
        let e = read(&bin).unwrap_err();
        assert!(e.contains("0xdeadbeef"), "{e}");
    }

    #[test]
    fn inline_lengths_past_the_end_are_errors() {
        let mut p = MAGIC.to_vec();
        p.extend_from_slice(&[8, 2]);
        p.resize(32, 0);
        p.extend_from_slice(&[0xff, 0xff, 0x03]); // 65535 bytes, but none follow
        assert!(read(&elf_with(&p)).is_err());
        p.truncate(32);
        p.extend_from_slice(&[0x80; 12]); // a varint that never ends
        assert!(read(&elf_with(&p)).is_err());
    }

    #[test]
    fn executables_without_buildinfo_are_not_go() {
        assert_eq!(read(&elf_with(b"just some data")).unwrap(), None);
    }

    #[test]
    fn truncated_go_binaries_never_panic() {
        let bin = pointer_format("go1.16.15", &framed("path\tx\n"), false);
        for len in 0..bin.len() {
            let _ = read(&bin[..len]);
        }
    }
}
