//! RPM header blobs as the databases store them: no lead and no magic, just
//! `il` (entry count) and `dl` (data size) as big-endian u32, `il` index entries of 16 bytes
//! (tag, type, offset, count) and a data store of `dl` bytes that the offsets point into.
//! Only the few tags a scanner needs are decoded; everything is bounds-checked because the
//! blob comes from the scanned image.

pub const NAME: u32 = 1000;
pub const VERSION: u32 = 1001;
pub const RELEASE: u32 = 1002;
pub const EPOCH: u32 = 1003;
pub const VENDOR: u32 = 1011;
pub const LICENSE: u32 = 1014;
pub const ARCH: u32 = 1022;
pub const SOURCERPM: u32 = 1044;
pub const MODULARITYLABEL: u32 = 5096;
/// The installed files: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`.
pub const DIRINDEXES: u32 = 1116;
pub const BASENAMES: u32 = 1117;
pub const DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits (`HEADER_TAGS_MAX`, `HEADER_DATA_MAX`): larger values are corrupt.
const MAX_ENTRIES: usize = 0xffff;
const MAX_DATA: usize = 0x0fff_ffff;
const ENTRY_SIZE: usize = 16;

/// A parsed header: the index and the data store, borrowed from the blob.
pub struct Header<'a> {
    index: &'a [u8],
    data: &'a [u8],
}

struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<'a> Header<'a> {
    pub fn parse(blob: &'a [u8]) -> Result<Self, String> {
        if blob.len() < 8 {
            return Err(format!("rpm header: {} bytes, too short", blob.len()));
        }
        let il = be32(blob, 0) as usize;
        let dl = be32(blob, 4) as usize;
        if il == 0 || il > MAX_ENTRIES {
            return Err(format!("rpm header: implausible entry count {il}"));
        }
        if dl > MAX_DATA {
            return Err(format!("rpm header: implausible data size {dl}"));
        }
        let index_end = 8 + il * ENTRY_SIZE;
        let end = index_end + dl;
        if end > blob.len() {
            return Err(format!(
                "rpm header truncated: needs {end} bytes for {il} entries and {dl} data bytes, has {}",
                blob.len()
            ));
        }
        Ok(Header {
            index: &blob[8..index_end],
            data: &blob[index_end..end],
        })
    }

    fn entries(&self) -> impl DoubleEndedIterator<Item = Entry> + '_ {
        self.index.chunks_exact(ENTRY_SIZE).map(|e| Entry {
            tag: be32(e, 0),
            kind: be32(e, 4),
            offset: be32(e, 8) as usize,
            count: be32(e, 12) as usize,
        })
    }

    /// The last entry with `tag`: entries added after the signed region (the "dribble")
    /// come later in the index and replace earlier ones, as in rpm.
    fn find(&self, tag: u32) -> Option<Entry> {
        self.entries().rev().find(|e| e.tag == tag)
    }

    /// A string tag; for string arrays and i18n strings, the first element.
    pub fn string(&self, tag: u32) -> Result<Option<String>, String> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        match e.kind {
            TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING if e.count >= 1 => {}
            kind => {
                return Err(format!(
                    "rpm header: tag {tag} has type {kind}, not a string"
                ))
            }
        }
        let rest = self
            .data
            .get(e.offset..)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                format!(
                    "rpm header: tag {tag} offset {} is outside the data",
                    e.offset
                )
            })?;
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("rpm header: tag {tag} string is not terminated"))?;
        // Old packages carry Latin-1 vendor and licence strings; keep them readable.
        Ok(Some(String::from_utf8_lossy(&rest[..len]).into_owned()))
    }

    /// Every element of a string array tag (empty when absent). Elements are NUL-terminated in
    /// the data store; a count larger than the data holds is an error, never an over-read.
    pub fn strings(&self, tag: u32) -> Result<Vec<String>, String> {
        let Some(e) = self.find(tag) else {
            return Ok(Vec::new());
        };
        if e.kind != TYPE_STRING_ARRAY {
            return Err(format!(
                "rpm header: tag {tag} has type {}, not a string array",
                e.kind
            ));
        }
        let mut rest = self.data.get(e.offset..).unwrap_or_default();
        let mut out = Vec::with_capacity(e.count.min(rest.len()));
        for _ in 0..e.count {
            let len = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(|| format!("rpm header: tag {tag} holds fewer strings than it says"))?;
            out.push(String::from_utf8_lossy(&rest[..len]).into_owned());
            rest = &rest[len + 1..];
        }
        Ok(out)
    }

    /// Every value of an INT32 tag (empty when absent).
    pub fn int32s(&self, tag: u32) -> Result<Vec<u32>, String> {
        let Some(e) = self.find(tag) else {
            return Ok(Vec::new());
        };
        let bytes = e
            .count
            .checked_mul(4)
            .and_then(|n| self.data.get(e.offset..e.offset.checked_add(n)?));
        match bytes {
            Some(b) if e.kind == TYPE_INT32 => Ok(b.chunks_exact(4).map(|c| be32(c, 0)).collect()),
            _ => Err(format!(
                "rpm header: tag {tag} is not an int32 array inside the data"
            )),
        }
    }

    /// The first value of an INT32 tag.
    pub fn int32(&self, tag: u32) -> Result<Option<u32>, String> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if e.kind != TYPE_INT32 || e.count == 0 {
            return Err(format!(
                "rpm header: tag {tag} has type {} count {}, not int32",
                e.kind, e.count
            ));
        }
        match self.data.get(e.offset..e.offset.saturating_add(4)) {
            Some(b) if b.len() == 4 => Ok(Some(be32(b, 0))),
            _ => Err(format!(
                "rpm header: tag {tag} offset {} is outside the data",
                e.offset
            )),
        }
    }
}

/// What the cataloger reads from one header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmInfo {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    pub modularity_label: Option<String>,
}

impl RpmInfo {
    /// `[epoch:]version-release`, the form rpm version comparison and advisories use.
    pub fn evr(&self) -> String {
        let mut s = match self.epoch {
            Some(e) => format!("{e}:{}", self.version),
            None => self.version.clone(),
        };
        if !self.release.is_empty() {
            s.push('-');
            s.push_str(&self.release);
        }
        s
    }

    /// The source package name: `foo-1.2-3.el9.src.rpm` → `foo`.
    pub fn source_name(&self) -> Option<String> {
        let srpm = self.source_rpm.as_deref()?;
        let base = srpm
            .strip_suffix(".src.rpm")
            .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
        let (rest, _release) = base.rsplit_once('-')?;
        let (name, _version) = rest.rsplit_once('-')?;
        (!name.is_empty()).then(|| name.to_string())
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Reads the package fields from a header blob. NAME and VERSION are required.
pub fn parse_info(blob: &[u8]) -> Result<RpmInfo, String> {
    let h = Header::parse(blob)?;
    let name = non_empty(h.string(NAME)?).ok_or("rpm header without a NAME")?;
    let version = non_empty(h.string(VERSION)?)
        .ok_or_else(|| format!("rpm header for {name} without a VERSION"))?;
    Ok(RpmInfo {
        epoch: h.int32(EPOCH)?,
        release: h.string(RELEASE)?.unwrap_or_default(),
        arch: non_empty(h.string(ARCH)?),
        source_rpm: non_empty(h.string(SOURCERPM)?),
        license: non_empty(h.string(LICENSE)?),
        vendor: non_empty(h.string(VENDOR)?),
        modularity_label: non_empty(h.string(MODULARITYLABEL)?),
        name,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, payload) triples.
    pub(crate) fn blob(entries: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, payload) in entries {
            for v in [*tag, *kind, data.len() as u32, 1] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(payload);
        }
        let mut out = (entries.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn reads_fields_and_formats_evr() {
        let b = blob(&[
            (NAME, TYPE_STRING, b"nodejs\0"),
            (VERSION, TYPE_STRING, b"10.21.0\0"),
            (RELEASE, TYPE_STRING, b"3.module_el8\0"),
            (EPOCH, TYPE_INT32, &1u32.to_be_bytes()),
            (
                SOURCERPM,
                TYPE_STRING,
                b"nodejs-10.21.0-3.module_el8.src.rpm\0",
            ),
        ]);
        let info = parse_info(&b).unwrap();
        assert_eq!(info.evr(), "1:10.21.0-3.module_el8");
        assert_eq!(info.source_name().as_deref(), Some("nodejs"));
        assert_eq!(info.arch, None);
    }

    #[test]
    fn rejects_bad_offsets_and_types() {
        // String without terminator.
        let b = blob(&[(VERSION, TYPE_STRING, b"1\0"), (NAME, TYPE_STRING, b"abc")]);
        assert!(parse_info(&b).unwrap_err().contains("not terminated"));
        // NAME stored as int32.
        let b = blob(&[(NAME, TYPE_INT32, &[0, 0, 0, 1])]);
        assert!(parse_info(&b).unwrap_err().contains("not a string"));
        // Offset beyond the data store.
        let mut b = blob(&[(NAME, TYPE_STRING, b"a\0"), (VERSION, TYPE_STRING, b"1\0")]);
        b[16..20].copy_from_slice(&1000u32.to_be_bytes());
        assert!(parse_info(&b).unwrap_err().contains("outside"));
        // Counts that promise more than the blob holds.
        assert!(Header::parse(&[0, 0, 0, 2, 0, 0, 0, 0]).is_err());
        assert!(Header::parse(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).is_err());
    }
}
