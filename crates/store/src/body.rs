//! How advisories are stored: the original JSON, zstd-compressed with a dictionary trained on the
//! data itself. Measured on the shared feeds (87 MiB of JSON, 60k records): plain JSON gave a
//! 122 MiB database, zstd-3 per record 58 MiB, zstd-3 with a 112 KiB dictionary about half that;
//! lookups stay well under a millisecond. A database gets its dictionary from the first import
//! big enough to train one; later imports reuse it (rows record which dictionary they used).

use crate::osv::Advisory;
use crate::read::max_record_bytes;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

const LEVEL: i32 = 3;
const DICT_BYTES: usize = 112 << 10;
/// Fewer samples than this train a poor dictionary (or none: zstd refuses).
pub(crate) const MIN_SAMPLES: usize = 500;
/// Sampling reads this many records from the head of each input file…
pub(crate) const SAMPLES_PER_FILE: usize = 1000;
/// …up to this much in total.
pub(crate) const MAX_SAMPLE_BYTES: usize = 32 << 20;

pub(crate) struct Encoder {
    /// 0: no dictionary.
    pub dict_id: i64,
    compressor: zstd::bulk::Compressor<'static>,
}

impl Encoder {
    /// Uses the newest dictionary in the database, if any.
    pub fn load(conn: &Connection) -> Result<Encoder, String> {
        let row: Option<(i64, Vec<u8>)> = conn
            .query_row(
                "SELECT id, dict FROM dictionaries ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| e.to_string())?;
        match row {
            Some((id, dict)) => Self::with_dict(id, &dict),
            None => Ok(Encoder {
                dict_id: 0,
                compressor: zstd::bulk::Compressor::new(LEVEL).map_err(|e| e.to_string())?,
            }),
        }
    }

    fn with_dict(id: i64, dict: &[u8]) -> Result<Encoder, String> {
        let compressor =
            zstd::bulk::Compressor::with_dictionary(LEVEL, dict).map_err(|e| e.to_string())?;
        Ok(Encoder {
            dict_id: id,
            compressor,
        })
    }

    /// Trains a dictionary from `samples` and stores it; `Ok(None)` when there are too few
    /// samples or zstd cannot train on them (records are then compressed without one).
    pub fn train(conn: &Connection, samples: &[Vec<u8>]) -> Result<Option<Encoder>, String> {
        if samples.len() < MIN_SAMPLES {
            return Ok(None);
        }
        let total: usize = samples.iter().map(Vec::len).sum();
        let Ok(dict) = zstd::dict::from_samples(samples, DICT_BYTES.min(total / 10)) else {
            return Ok(None);
        };
        conn.execute("INSERT INTO dictionaries (dict) VALUES (?1)", [&dict])
            .map_err(|e| e.to_string())?;
        Self::with_dict(conn.last_insert_rowid(), &dict).map(Some)
    }

    pub fn encode(&mut self, json: &[u8]) -> std::io::Result<Vec<u8>> {
        self.compressor.compress(json)
    }
}

/// Decompressors per dictionary, loaded on first use.
#[derive(Default)]
pub(crate) struct Decoders {
    by_dict: HashMap<i64, zstd::bulk::Decompressor<'static>>,
}

impl Decoders {
    pub fn decode(
        &mut self,
        conn: &Connection,
        dict_id: i64,
        body: &[u8],
    ) -> Result<Advisory, String> {
        let json = self.decode_json(conn, dict_id, body)?;
        serde_json::from_slice(&json).map_err(|e| format!("stored advisory does not parse: {e}"))
    }

    fn decode_json(
        &mut self,
        conn: &Connection,
        dict_id: i64,
        body: &[u8],
    ) -> Result<Vec<u8>, String> {
        let d = match self.by_dict.entry(dict_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let d = if dict_id == 0 {
                    zstd::bulk::Decompressor::new()
                } else {
                    let dict: Vec<u8> = conn
                        .query_row(
                            "SELECT dict FROM dictionaries WHERE id = ?1",
                            [dict_id],
                            |r| r.get(0),
                        )
                        .map_err(|e| format!("compression dictionary {dict_id}: {e}"))?;
                    zstd::bulk::Decompressor::with_dictionary(&dict)
                };
                slot.insert(d.map_err(|e| e.to_string())?)
            }
        };
        // Frames from `bulk` record their size; never trust it beyond the import limit.
        let cap = zstd::bulk::Decompressor::upper_bound(body)
            .filter(|&n| n as u64 <= max_record_bytes())
            .ok_or("stored advisory has no valid size")?;
        d.decompress(body, cap)
            .map_err(|e| format!("stored advisory does not decompress: {e}"))
    }
}
