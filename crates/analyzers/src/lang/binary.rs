//! The parts of an executable (ELF, Mach-O, PE) the Go and Rust binary catalogers need: named
//! sections and the map from virtual addresses to file offsets. Only headers are parsed, with
//! goblin; every offset read from the file is checked against its length.

use artifact::FileMeta;
use goblin::elf::{Elf, ProgramHeader, SectionHeader};

/// Executables smaller than this hold no buildinfo or dependency section worth reading.
const MIN_EXECUTABLE: u64 = 1024;
/// Whether the pass should hand a file to a binary cataloger: an executable-looking regular
/// file (any `x` bit, or a Windows `.exe`/`.dll`) of a plausible size. The magic is checked
/// on the bytes. Large ones are bounded by the pass's file cap, which says what it skipped.
pub fn wants_executable(file: &FileMeta) -> bool {
    let windows = file.path.ends_with(".exe") || file.path.ends_with(".dll");
    (file.mode & 0o111 != 0 || windows) && file.size >= MIN_EXECUTABLE
}

/// A file region: a section (named) or a loadable segment.
#[derive(Debug, Clone)]
pub struct Region {
    pub name: String,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
}

/// What a binary cataloger knows about an executable.
#[derive(Debug, Default)]
pub struct Executable {
    pub sections: Vec<Region>,
    /// Loaded regions with file data, for address → offset translation.
    pub segments: Vec<Region>,
    /// Where the linker puts initialised writable data (ELF writable PT_LOAD segments,
    /// Mach-O `__DATA`, PE `.data`): searched when no named section says where to look.
    pub data: Vec<Region>,
}

/// Whether the bytes start like an executable this module reads.
pub fn is_executable(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(b"\x7fELF")
            | Some([0xfe, 0xed, 0xfa, 0xce | 0xcf])
            | Some([0xce | 0xcf, 0xfa, 0xed, 0xfe])
    ) || bytes.starts_with(b"MZ")
}

impl Executable {
    /// Parses the headers; `Ok(None)` when the bytes are not ELF, Mach-O or PE.
    pub fn parse(bytes: &[u8]) -> Result<Option<Executable>, String> {
        if !is_executable(bytes) {
            return Ok(None);
        }
        // goblin is fuzzed, but a parser bug must not take the scan down with it.
        let parsed = std::panic::catch_unwind(|| {
            if bytes.starts_with(b"\x7fELF") {
                elf(bytes)
            } else if bytes.starts_with(b"MZ") {
                pe(bytes)
            } else {
                mach(bytes)
            }
        })
        .map_err(|_| "executable headers could not be parsed".to_string())?;
        let exe = parsed?;
        let len = bytes.len() as u64;
        let past_end = exe
            .sections
            .iter()
            .chain(&exe.segments)
            .find(|r| r.size > 0 && r.offset.checked_add(r.size).is_none_or(|end| end > len));
        if let Some(region) = past_end {
            return Err(format!(
                "truncated executable: {} at offset {} runs past the end ({len} bytes)",
                if region.name.is_empty() {
                    "a segment"
                } else {
                    &region.name
                },
                region.offset
            ));
        }
        Ok(Some(exe))
    }

    /// The bytes of the first section with one of these names.
    pub fn section<'a>(&self, bytes: &'a [u8], names: &[&str]) -> Option<&'a [u8]> {
        let region = self
            .sections
            .iter()
            .find(|s| names.contains(&s.name.as_str()))?;
        slice(bytes, region.offset, region.size)
    }

    /// The file bytes of the data regions.
    pub fn data<'a>(&'a self, bytes: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.data
            .iter()
            .filter_map(move |r| slice(bytes, r.offset, r.size))
    }

    /// `len` bytes at virtual address `addr`, if a segment maps them from the file.
    pub fn read_at<'a>(&self, bytes: &'a [u8], addr: u64, len: u64) -> Option<&'a [u8]> {
        self.segments.iter().find_map(|s| {
            let start = addr.checked_sub(s.addr)?;
            if start.checked_add(len)? > s.size {
                return None;
            }
            slice(bytes, s.offset.checked_add(start)?, len)
        })
    }
}

/// `bytes[offset..offset + len]`, if it is all there.
pub fn slice(bytes: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

fn err(e: goblin::error::Error) -> String {
    format!("corrupt executable: {e}")
}

fn elf(bytes: &[u8]) -> Result<Executable, String> {
    let header = Elf::parse_header(bytes).map_err(err)?;
    let ctx = goblin::container::Ctx::new(
        header.container().map_err(err)?,
        header.endianness().map_err(err)?,
    );
    let to_usize =
        |v: u64| usize::try_from(v).map_err(|_| "corrupt executable: offset".to_string());
    let mut exe = Executable::default();
    if header.e_phnum > 0 {
        let phdrs =
            ProgramHeader::parse(bytes, to_usize(header.e_phoff)?, header.e_phnum.into(), ctx)
                .map_err(err)?;
        for p in phdrs
            .iter()
            .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
        {
            let region = Region {
                name: String::new(),
                addr: p.p_vaddr,
                offset: p.p_offset,
                size: p.p_filesz,
            };
            if p.p_flags & goblin::elf::program_header::PF_W != 0 {
                exe.data.push(region.clone());
            }
            exe.segments.push(region);
        }
    }
    if header.e_shnum > 0 {
        let shdrs =
            SectionHeader::parse(bytes, to_usize(header.e_shoff)?, header.e_shnum.into(), ctx)
                .map_err(err)?;
        let names = shdrs
            .get(usize::from(header.e_shstrndx))
            .and_then(|s| slice(bytes, s.sh_offset, s.sh_size))
            .unwrap_or_default();
        exe.sections = shdrs
            .iter()
            .filter(|s| s.sh_type != goblin::elf::section_header::SHT_NOBITS)
            .map(|s| Region {
                name: c_string(names.get(s.sh_name..).unwrap_or_default()),
                addr: s.sh_addr,
                offset: s.sh_offset,
                size: s.sh_size,
            })
            .collect();
    }
    Ok(exe)
}

fn mach(bytes: &[u8]) -> Result<Executable, String> {
    let macho = goblin::mach::MachO::parse(bytes, 0).map_err(err)?;
    let mut exe = Executable::default();
    for segment in macho.segments.iter() {
        let region = Region {
            name: segment.name().unwrap_or_default().to_string(),
            addr: segment.vmaddr,
            offset: segment.fileoff,
            size: segment.filesize,
        };
        if region.name == "__DATA" {
            exe.data.push(region.clone());
        }
        exe.segments.push(region);
        for (section, _) in segment.sections().map_err(err)? {
            exe.sections.push(Region {
                name: section.name().unwrap_or_default().to_string(),
                addr: section.addr,
                offset: section.offset.into(),
                size: section.size,
            });
        }
    }
    Ok(exe)
}

fn pe(bytes: &[u8]) -> Result<Executable, String> {
    // Headers and the section table only: the full PE parse also walks relocations, imports
    // and resources, which this does not need.
    use goblin::pe::header::{Header, SIZEOF_COFF_HEADER, SIZEOF_PE_MAGIC};
    let header = Header::parse(bytes).map_err(err)?;
    let mut offset = header.dos_header.pe_pointer as usize
        + SIZEOF_PE_MAGIC
        + SIZEOF_COFF_HEADER
        + usize::from(header.coff_header.size_of_optional_header);
    let sections = header
        .coff_header
        .sections(bytes, &mut offset)
        .map_err(err)?;
    let image_base = header
        .optional_header
        .map_or(0, |o| o.windows_fields.image_base);
    let mut exe = Executable::default();
    for section in &sections {
        let region = Region {
            name: section.name().unwrap_or_default().to_string(),
            addr: image_base.saturating_add(section.virtual_address.into()),
            offset: section.pointer_to_raw_data.into(),
            size: section.size_of_raw_data.into(),
        };
        if region.name == ".data" {
            exe.data.push(region.clone());
        }
        exe.segments.push(region.clone());
        exe.sections.push(region);
    }
    Ok(exe)
}

fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_executables_are_not_parsed() {
        assert!(Executable::parse(b"#!/bin/sh\necho hi\n")
            .unwrap()
            .is_none());
    }

    #[test]
    fn truncated_headers_are_errors() {
        for bytes in [
            &b"\x7fELF\x02\x01\x01"[..],
            &b"MZ\x90\x00"[..],
            &[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1][..],
        ] {
            assert!(Executable::parse(bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn addresses_outside_segments_are_not_read() {
        let exe = Executable {
            sections: vec![],
            data: vec![],
            segments: vec![Region {
                name: String::new(),
                addr: 0x1000,
                offset: 0,
                size: 8,
            }],
        };
        let bytes = [1u8; 8];
        assert_eq!(exe.read_at(&bytes, 0x1004, 4), Some(&bytes[4..8]));
        assert_eq!(exe.read_at(&bytes, 0x1006, 4), None);
        assert_eq!(exe.read_at(&bytes, u64::MAX, 4), None);
        assert_eq!(exe.read_at(&bytes, 0x0fff, 1), None);
    }
}
