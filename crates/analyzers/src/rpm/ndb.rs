//! rpm's "ndb" package store (`Packages.db`, SUSE since 15 SP3), all little-endian.
//!
//! A 32-byte file header (`RpmP`, version 0, generation, slot page count, reserved) is
//! followed in the same 4 KiB pages by 16-byte slots (`Slot`, package index, block offset,
//! block count); index 0 marks a free slot. Blocks are 16 bytes. A package's blocks start
//! with a blob header (`BlbS`, package index, generation, length), then the header blob,
//! padding, and a 12-byte tail (Adler-32 of everything before it, length, `BlbE`).

const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: usize = 16;
const HEAD: usize = 16;
const TAIL: usize = 12;
/// rpm refuses more slot pages than this; so do we, before touching the slots.
const MAX_SLOT_PAGES: usize = 2048;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn magic(s: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*s)
}

pub fn is_ndb(data: &[u8]) -> bool {
    data.starts_with(b"RpmP")
}

fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 is the longest run whose sums cannot overflow u32 before the modulo.
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// The header blobs, in slot order, borrowed from `data`.
pub fn blobs(data: &[u8]) -> Result<Vec<&[u8]>, String> {
    if data.len() < 32 || !is_ndb(data) {
        return Err("not an rpm ndb file (bad magic or too short)".into());
    }
    let version = le32(data, 4);
    if version != 0 {
        return Err(format!("ndb: unsupported version {version}"));
    }
    let slot_pages = le32(data, 12) as usize;
    if slot_pages == 0 || slot_pages > MAX_SLOT_PAGES {
        return Err(format!("ndb: implausible slot page count {slot_pages}"));
    }
    let slots_end = slot_pages * PAGE;
    if slots_end > data.len() {
        return Err(format!(
            "ndb truncated: {slot_pages} slot pages need {slots_end} bytes, file has {}",
            data.len()
        ));
    }
    let mut out = Vec::new();
    // Real packages own disjoint blocks; slots sharing blocks would multiply the checksum
    // work and the copies the caller makes, so the blocks may not add up to more than the file.
    let mut budget = data.len();
    // The first two slot-sized cells are the file header.
    for (n, slot) in data[2 * SLOT..slots_end].chunks_exact(SLOT).enumerate() {
        if le32(slot, 0) != magic(b"Slot") {
            return Err(format!("ndb: slot {n} has a bad magic"));
        }
        let pkg = le32(slot, 4);
        if pkg == 0 {
            continue;
        }
        let start = le32(slot, 8) as usize * BLOCK;
        let len = le32(slot, 12) as usize * BLOCK;
        let block = start
            .checked_add(len)
            .filter(|&end| start >= slots_end && len >= HEAD + TAIL && end <= data.len())
            .map(|end| &data[start..end])
            .ok_or_else(|| {
                format!("ndb: package {pkg} blocks {start}+{len} are outside the file")
            })?;
        budget = budget
            .checked_sub(len)
            .ok_or("ndb: package blocks overlap (more than the file size in total)")?;
        if le32(block, 0) != magic(b"BlbS") || le32(block, 4) != pkg {
            return Err(format!(
                "ndb: package {pkg} has no blob header where its slot points"
            ));
        }
        let blob_len = le32(block, 12) as usize;
        if blob_len > len - HEAD - TAIL {
            return Err(format!(
                "ndb: package {pkg} blob of {blob_len} bytes overflows its blocks"
            ));
        }
        let tail = len - TAIL;
        if le32(block, tail + 8) != magic(b"BlbE") || le32(block, tail + 4) as usize != blob_len {
            return Err(format!("ndb: package {pkg} blob tail is damaged"));
        }
        if adler32(&block[..tail]) != le32(block, tail) {
            return Err(format!("ndb: package {pkg} blob checksum mismatch"));
        }
        out.push(&block[HEAD..HEAD + blob_len]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn adler32_known_value() {
        // RFC 1950 example value for "Wikipedia".
        assert_eq!(super::adler32(b"Wikipedia"), 0x11E6_0398);
    }
}
