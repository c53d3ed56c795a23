//! Pretty JSON written piece by piece, byte-identical to `serde_json::to_writer_pretty` of a
//! struct with the same fields in the same order. A large array field is rendered in parallel,
//! a window of elements at a time, and written in order while the next window renders: the
//! whole document is never held in memory, and one core is not left serialising 400 MB alone.

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};
use std::io::{self, Write};

/// Elements rendered per window: enough to keep every thread busy, few enough that two windows
/// of rendered bytes (the one being written, the one rendering) stay small.
const WINDOW: usize = 32;

/// serde_json's own pretty formatter, as it stands `depth` levels deep. Its depth is private;
/// opening that many arrays into a sink sets it, so indentation and separators stay serde's.
fn formatter_at(depth: usize) -> io::Result<PrettyFormatter<'static>> {
    let mut f = PrettyFormatter::new();
    for _ in 0..depth {
        f.begin_array(&mut io::sink())?;
    }
    Ok(f)
}

fn write_value<T: Serialize + ?Sized>(
    out: &mut (impl Write + ?Sized),
    depth: usize,
    value: &T,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, formatter_at(depth)?);
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// An array field being written in batches.
pub(crate) struct PrettyArray {
    f: PrettyFormatter<'static>,
    first: bool,
}

/// A top-level JSON object, written field by field.
pub(crate) struct PrettyObject<'w> {
    out: &'w mut dyn Write,
    f: PrettyFormatter<'static>,
    first: bool,
}

impl<'w> PrettyObject<'w> {
    /// Fields sit one level deep; elements of an array field two.
    const FIELD_DEPTH: usize = 1;

    pub(crate) fn begin(out: &'w mut dyn Write) -> io::Result<Self> {
        let mut f = PrettyFormatter::new();
        f.begin_object(out)?;
        Ok(PrettyObject {
            out,
            f,
            first: true,
        })
    }

    fn key(&mut self, name: &str) -> io::Result<()> {
        self.f.begin_object_key(self.out, self.first)?;
        self.first = false;
        write_value(self.out, Self::FIELD_DEPTH, name)?;
        self.f.end_object_key(self.out)?;
        self.f.begin_object_value(self.out)
    }

    pub(crate) fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> io::Result<()> {
        self.key(name)?;
        write_value(self.out, Self::FIELD_DEPTH, value)?;
        self.f.end_object_value(self.out)
    }

    /// Opens an array field whose elements come in batches ([`PrettyObject::array_items`]).
    pub(crate) fn begin_array_field(&mut self, name: &str) -> io::Result<PrettyArray> {
        self.key(name)?;
        let mut f = formatter_at(Self::FIELD_DEPTH)?;
        f.begin_array(self.out)?;
        Ok(PrettyArray { f, first: true })
    }

    /// Renders `items` in parallel and writes them in order, after those already written.
    pub(crate) fn array_items<T: Serialize + Sync>(
        &mut self,
        array: &mut PrettyArray,
        items: &[T],
    ) -> io::Result<()> {
        use rayon::prelude::*;
        let render = |window: &[T]| -> io::Result<Vec<Vec<u8>>> {
            window
                .par_iter()
                .map(|item| {
                    let mut buf = Vec::new();
                    write_value(&mut buf, Self::FIELD_DEPTH + 1, item)?;
                    Ok(buf)
                })
                .collect()
        };
        let mut windows = items.chunks(WINDOW);
        let mut next = windows.next().map(render);
        while let Some(done) = next.take() {
            let done = done?;
            let window = windows.next();
            // Write this window on this thread while the pool renders the next one.
            rayon::in_place_scope(|s| {
                s.spawn(|_| next = window.map(render));
                for buf in &done {
                    array.f.begin_array_value(self.out, array.first)?;
                    array.first = false;
                    self.out.write_all(buf)?;
                    array.f.end_array_value(self.out)?;
                }
                io::Result::Ok(())
            })?;
        }
        Ok(())
    }

    pub(crate) fn end_array_field(&mut self, mut array: PrettyArray) -> io::Result<()> {
        array.f.end_array(self.out)?;
        self.f.end_object_value(self.out)
    }

    /// Closes the object; the writer comes back for what follows it.
    pub(crate) fn end(mut self) -> io::Result<&'w mut dyn Write> {
        self.f.end_object(self.out)?;
        Ok(self.out)
    }
}
