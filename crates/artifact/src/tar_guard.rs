//! Bounds on tar header metadata. The tar reader reads a GNU long name, long link or PAX
//! record whole into memory before the entry it describes; a 4.7 MB gzip layer declaring a
//! 4 GB long name took 4.3 GB of memory. [`HeaderGuard`] sits below the tar reader, follows
//! the stream's headers as they pass (honouring PAX `size` as the tar reader does, so both stay
//! in step) and fails the layer as soon as such a header declares more than
//! `max_header_metadata()` bytes. If the stream stops looking like tar (a bad checksum), the
//! guard steps aside and the tar reader reports the damage.

use std::io::{self, Read};

/// Most bytes of one long name, long link or PAX record.
pub(crate) fn max_header_metadata() -> u64 {
    inventory::limits::get(inventory::limits::Limit::TarHeader)
}

const BLOCK: usize = 512;

pub(crate) struct HeaderGuard<R> {
    pub(crate) inner: R,
    /// The header block being assembled.
    block: Box<[u8; BLOCK]>,
    filled: usize,
    /// Data bytes (with padding) before the next header.
    skip: u64,
    /// Old GNU sparse extension blocks still to come.
    sparse_extensions: bool,
    /// A PAX record being collected (its declared length, and the bytes so far).
    pax: Option<(u64, Vec<u8>)>,
    /// The `size` the last PAX record gives the next member.
    pax_size: Option<u64>,
    /// Lost step with the stream (not tar, or damaged): pass bytes through.
    off: bool,
}

impl<R> HeaderGuard<R> {
    pub(crate) fn new(inner: R) -> Self {
        HeaderGuard {
            inner,
            block: Box::new([0; BLOCK]),
            filled: 0,
            skip: 0,
            sparse_extensions: false,
            pax: None,
            pax_size: None,
            off: false,
        }
    }

    fn watch(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() && !self.off {
            if self.skip > 0 {
                let take = (self.skip.min(bytes.len() as u64)) as usize;
                if let Some((len, data)) = &mut self.pax {
                    let want = (*len as usize).saturating_sub(data.len()).min(take);
                    data.extend_from_slice(&bytes[..want]);
                }
                self.skip -= take as u64;
                bytes = &bytes[take..];
                if self.skip == 0 {
                    if let Some((_, data)) = self.pax.take() {
                        self.pax_size = pax_size(&data);
                    }
                }
                continue;
            }
            let take = (BLOCK - self.filled).min(bytes.len());
            self.block[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == BLOCK {
                self.filled = 0;
                self.header()?;
            }
        }
        Ok(())
    }

    fn header(&mut self) -> io::Result<()> {
        let block = &*self.block;
        if self.sparse_extensions {
            self.sparse_extensions = block[504] != 0;
            return Ok(());
        }
        if block.iter().all(|b| *b == 0) {
            return Ok(()); // end-of-archive blocks
        }
        if !checksum_ok(block) {
            self.off = true;
            return Ok(());
        }
        let Some(size) = octal_or_binary(&block[124..136]) else {
            self.off = true;
            return Ok(());
        };
        let kind = block[156];
        let metadata = matches!(kind, b'L' | b'K' | b'x' | b'g');
        if metadata && size > max_header_metadata() {
            return Err(io::Error::other(format!(
                "a tar header record (long name or PAX) declares {size} bytes, over the {} limit ({})",
                inventory::limits::shown(inventory::limits::Limit::TarHeader),
                inventory::limits::hint(inventory::limits::Limit::TarHeader)
            )));
        }
        let mut data = size;
        if kind == b'x' {
            self.pax = Some((size, Vec::with_capacity(size as usize)));
        } else if !metadata {
            // The tar reader gives a member the size its PAX record states.
            if let Some(pax) = self.pax_size.take() {
                data = pax;
            }
            self.sparse_extensions = kind == b'S' && block[482] != 0;
        }
        self.skip = data.div_ceil(BLOCK as u64) * BLOCK as u64;
        if self.skip == 0 {
            if let Some((_, record)) = self.pax.take() {
                self.pax_size = pax_size(&record);
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.watch(&buf[..n])?;
        Ok(n)
    }
}

fn checksum_ok(block: &[u8; BLOCK]) -> bool {
    let Some(stored) = octal_or_binary(&block[148..156]) else {
        return false;
    };
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(*b)
            }
        })
        .sum();
    sum == stored
}

/// A numeric header field: octal text, or GNU base-256 (high bit set).
fn octal_or_binary(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(*b))?;
        }
        return Some(value);
    }
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// The `size` of a PAX record set (`LEN key=value\n` records).
fn pax_size(data: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .filter_map(|line| line.split_once(' ').map(|(_, kv)| kv))
        .filter_map(|kv| kv.split_once('='))
        .filter(|(key, _)| *key == "size")
        .filter_map(|(_, value)| value.parse().ok())
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, kind: tar::EntryType, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_cksum();
        h
    }

    #[test]
    fn oversized_long_names_fail_early_and_real_tars_pass() {
        // A real tar with a long name, a PAX record and files passes untouched.
        let mut b = tar::Builder::new(Vec::new());
        let long = format!("{}/file", "d".repeat(300));
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
        b.append_pax_extensions([("path", &b"pax/name"[..])])
            .unwrap();
        let h = header("short", tar::EntryType::Regular, 5);
        b.append(&h, &b"hello"[..]).unwrap();
        let real = b.into_inner().unwrap();
        let mut out = Vec::new();
        HeaderGuard::new(&real[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, real);
        // A long-name header declaring 4 GB is refused before its data is read.
        let mut hostile = header("././@LongLink", tar::EntryType::GNULongName, 4 << 30)
            .as_bytes()
            .to_vec();
        hostile.extend(vec![b'a'; 4096]);
        let err = HeaderGuard::new(&hostile[..])
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("over the 1MiB limit"), "{err}");
    }

    #[test]
    fn numbers_and_pax_sizes() {
        assert_eq!(octal_or_binary(b"0000644\0"), Some(0o644));
        assert_eq!(
            octal_or_binary(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Some(256)
        );
        assert_eq!(
            pax_size(b"20 size=9000000000\n11 a=bcdef\n"),
            Some(9_000_000_000)
        );
    }
}
