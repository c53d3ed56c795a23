//! Berkeley DB hash files (`var/lib/rpm/Packages`, rpm before 4.16).
//!
//! Page 0 is the hash metadata page; every other page starts with a 26-byte header
//! (lsn, pgno, prev, next, entry count, free-area offset or overflow byte count, level, type).
//! Hash pages hold key/data pairs through an array of u16 item offsets after the header.
//! rpm's header blobs are too large to sit on a hash page, so the data item is an "off-page"
//! reference to a chain of overflow pages. Rather than walk buckets, we scan the pages in
//! file order and collect each off-page item, which finds every record once.
//! The file is in the byte order of the machine that wrote it; the magic tells which.

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const META_TYPE_HASH: u8 = 8;
const PAGE_HASH_UNSORTED: u8 = 2;
const PAGE_OVERFLOW: u8 = 7;
const PAGE_HASH: u8 = 13;
const ITEM_KEYDATA: u8 = 1;
const ITEM_OFFPAGE: u8 = 3;

#[derive(Clone, Copy)]
struct Order {
    big: bool,
}

impl Order {
    fn u32(self, b: &[u8], at: usize) -> u32 {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    fn u16(self, b: &[u8], at: usize) -> u16 {
        let a = [b[at], b[at + 1]];
        if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
}

/// Whether `data` starts with a Berkeley DB hash metadata page.
pub fn is_bdb(data: &[u8]) -> bool {
    data.len() >= 16 && {
        let m = [data[12], data[13], data[14], data[15]];
        u32::from_le_bytes(m) == HASH_MAGIC || u32::from_be_bytes(m) == HASH_MAGIC
    }
}

struct Db<'a> {
    data: &'a [u8],
    order: Order,
    page_size: usize,
    pages: usize,
}

impl<'a> Db<'a> {
    fn page(&self, n: usize) -> &'a [u8] {
        &self.data[n * self.page_size..(n + 1) * self.page_size]
    }

    /// Concatenates an overflow chain. `budget` counts overflow pages left to visit across
    /// the whole file: legitimate chains never share pages, so exceeding the page count means
    /// a cycle or crafted sharing.
    fn overflow(&self, first: u32, total: usize, budget: &mut usize) -> Result<Vec<u8>, String> {
        if total > self.data.len() {
            return Err(format!("record of {total} bytes is larger than the file"));
        }
        let mut out = Vec::with_capacity(total);
        let mut next = first as usize;
        while next != 0 {
            if *budget == 0 {
                return Err("overflow page chains loop or overlap".into());
            }
            *budget -= 1;
            if next >= self.pages {
                return Err(format!("overflow page {next} is beyond the last page"));
            }
            let page = self.page(next);
            if page[25] != PAGE_OVERFLOW {
                return Err(format!(
                    "page {next} in an overflow chain has type {}",
                    page[25]
                ));
            }
            let len = self.order.u16(page, 22) as usize;
            if len > self.page_size - PAGE_HEADER || out.len() + len > total {
                return Err(format!(
                    "overflow page {next} holds an impossible {len} bytes"
                ));
            }
            out.extend_from_slice(&page[PAGE_HEADER..PAGE_HEADER + len]);
            next = self.order.u32(page, 16) as usize;
        }
        if out.len() != total {
            return Err(format!(
                "overflow chain at page {first} ends after {} of {total} bytes",
                out.len()
            ));
        }
        Ok(out)
    }
}

/// The header blobs in a hash database.
pub fn blobs(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if data.len() < 512 || !is_bdb(data) {
        return Err("not a Berkeley DB hash file (bad magic or too short)".into());
    }
    let order = Order {
        big: u32::from_be_bytes([data[12], data[13], data[14], data[15]]) == HASH_MAGIC,
    };
    let page_size = order.u32(data, 20) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("Berkeley DB: invalid page size {page_size}"));
    }
    if data[25] != META_TYPE_HASH {
        return Err(format!(
            "Berkeley DB: metadata page type {}, not hash",
            data[25]
        ));
    }
    if data[24] != 0 || data[26] & 1 != 0 {
        return Err("Berkeley DB: encrypted or checksummed databases are not supported".into());
    }
    let last = order.u32(data, 32) as usize;
    let in_file = data.len() / page_size;
    if last >= in_file {
        return Err(format!(
            "Berkeley DB truncated: last page is {last} but the file holds {in_file} pages"
        ));
    }
    let db = Db {
        data,
        order,
        page_size,
        pages: last + 1,
    };
    let mut budget = db.pages;
    // Inline items could be made to overlap; their copies may not exceed the file size.
    let mut inline_budget = data.len();
    let mut out = Vec::new();
    for n in 1..db.pages {
        let page = db.page(n);
        if page[25] != PAGE_HASH && page[25] != PAGE_HASH_UNSORTED {
            continue;
        }
        let entries = order.u16(page, 20) as usize;
        let items_start = PAGE_HEADER + 2 * entries;
        if items_start > page_size {
            return Err(format!("hash page {n}: {entries} entries cannot fit"));
        }
        let offset = |i: usize| order.u16(page, PAGE_HEADER + 2 * i) as usize;
        // Items are key, data, key, data…; each ends where the previous one starts.
        for i in (1..entries).step_by(2) {
            let (at, end) = (offset(i), offset(i - 1));
            if at < items_start || at >= end || end > page_size {
                return Err(format!(
                    "hash page {n}: item {i} at {at}..{end} is out of place"
                ));
            }
            match page[at] {
                ITEM_OFFPAGE => {
                    if end - at < 12 {
                        return Err(format!("hash page {n}: short off-page item {i}"));
                    }
                    let first = order.u32(page, at + 4);
                    let total = order.u32(page, at + 8) as usize;
                    out.push(db.overflow(first, total, &mut budget)?);
                }
                // Small inline values: rpm keeps a 4-byte counter under key 0; anything
                // large enough to be a header is one.
                ITEM_KEYDATA if end - at - 1 > 8 => {
                    inline_budget = inline_budget
                        .checked_sub(end - at)
                        .ok_or("Berkeley DB: inline items overlap")?;
                    out.push(page[at + 1..end].to_vec());
                }
                _ => {}
            }
        }
    }
    Ok(out)
}
