//! Server-sent events, decoded in one pass.
//!
//! Hand-written on purpose: `eventsource-stream` (the crate most Rust clients use) re-parses its
//! whole pending buffer each time a network chunk arrives and copies the rest after every line,
//! so one large event costs quadratic time — a 10 MB chunk took half a minute and tripped the
//! idle timeout. The format (WHATWG HTML, "event stream interpretation") is a few lines of
//! rules: lines end in LF, CR or CRLF; `data:` lines accumulate (joined by LF), `event:` names
//! the event, `:` starts a comment, an empty line dispatches. Here every byte is scanned once,
//! and a single event larger than the limit is an error instead of unbounded memory.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Why the byte stream is not a valid event stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("the stream is not UTF-8 text (invalid bytes at offset {0})")]
    Utf8(usize),
    #[error("a single stream event is larger than {0} bytes")]
    TooLarge(usize),
}

/// The decoder's state between chunks.
#[derive(Debug)]
pub struct SseDecoder {
    /// Bytes not yet consumed; `scanned` of them are known to hold no line end.
    buffer: Vec<u8>,
    start: usize,
    scanned: usize,
    /// The previous chunk ended in CR: an LF at the start of this one belongs to it.
    after_cr: bool,
    event: String,
    data: String,
    has_data: bool,
    /// Bytes consumed so far, for error offsets.
    offset: usize,
    max_event: usize,
    bom_checked: bool,
}

impl SseDecoder {
    /// A decoder refusing any event (and any line) larger than `max_event` bytes.
    #[must_use]
    pub fn new(max_event: usize) -> SseDecoder {
        SseDecoder {
            buffer: Vec::new(),
            start: 0,
            scanned: 0,
            after_cr: false,
            event: String::new(),
            data: String::new(),
            has_data: false,
            offset: 0,
            max_event,
            bom_checked: false,
        }
    }

    /// Feeds a chunk; the events it completes are pushed to `events` — also those before an
    /// error in the same chunk.
    pub fn feed(&mut self, chunk: &[u8], events: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let mut chunk = chunk;
        if !self.bom_checked && !chunk.is_empty() {
            self.bom_checked = true;
            chunk = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
        }
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
            self.offset += 1;
        }
        self.after_cr = false;
        self.buffer.extend_from_slice(chunk);
        loop {
            let pending = &self.buffer[self.start + self.scanned..];
            let Some(i) = pending.iter().position(|&b| b == b'\n' || b == b'\r') else {
                self.scanned = self.buffer.len() - self.start;
                break;
            };
            let end = self.start + self.scanned + i;
            let terminator = self.buffer[end];
            let mut next = end + 1;
            if terminator == b'\r' {
                match self.buffer.get(next) {
                    Some(b'\n') => next += 1,
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            let line = std::str::from_utf8(&self.buffer[self.start..end])
                .map_err(|e| SseError::Utf8(self.offset + e.valid_up_to()))?
                .to_string();
            self.offset += next - self.start;
            self.start = next;
            self.scanned = 0;
            if let Some(event) = self.line(&line)? {
                events.push(event);
            }
        }
        if self.buffer.len() - self.start + self.data.len() > self.max_event {
            return Err(SseError::TooLarge(self.max_event));
        }
        // Drop what was consumed, without moving a large unfinished line on every chunk.
        if self.start > 0 && (self.start >= self.buffer.len() / 2 || self.start > 64 * 1024) {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        Ok(())
    }

    fn line(&mut self, line: &str) -> Result<Option<SseEvent>, SseError> {
        if line.is_empty() {
            if !self.has_data {
                self.event.clear();
                return Ok(None);
            }
            self.has_data = false;
            return Ok(Some(SseEvent {
                event: std::mem::take(&mut self.event),
                data: std::mem::take(&mut self.data),
            }));
        }
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
                if self.data.len() > self.max_event {
                    return Err(SseError::TooLarge(self.max_event));
                }
            }
            "event" => value.clone_into(&mut self.event),
            // `id` and `retry` matter to reconnecting browsers, not to one model response.
            _ => {}
        }
        Ok(None)
    }

    /// The stream ended: an event still open is dispatched (servers that omit the last blank
    /// line).
    pub fn finish(&mut self) -> Option<SseEvent> {
        if self.start < self.buffer.len() {
            let rest = String::from_utf8_lossy(&self.buffer[self.start..]).into_owned();
            self.start = self.buffer.len();
            let _ = self.line(&rest);
        }
        self.has_data.then(|| {
            self.has_data = false;
            SseEvent {
                event: std::mem::take(&mut self.event),
                data: std::mem::take(&mut self.data),
            }
        })
    }

    /// Bytes waiting for the end of their line or event.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.buffer.len() - self.start + self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c, &mut out).unwrap();
        }
        out.extend(d.finish());
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn events_split_anywhere_decode_the_same() {
        let text = b"\xEF\xBB\xBF: comment\nevent: message_start\ndata: {\"a\":1}\n\ndata: one\ndata:two\r\n\r\ndata: x\r\rdata: [DONE]\n\n";
        let whole = all(&[text]);
        assert_eq!(
            whole,
            vec![
                ev("message_start", "{\"a\":1}"),
                ev("", "one\ntwo"),
                ev("", "x"),
                ev("", "[DONE]")
            ]
        );
        for cut in 1..text.len() {
            for cut2 in cut..text.len() {
                let (a, rest) = text.split_at(cut);
                let (b, c) = rest.split_at(cut2 - cut);
                assert_eq!(all(&[a, b, c]), whole, "cut at {cut}, {cut2}");
            }
        }
    }

    #[test]
    fn a_last_event_without_its_blank_line_is_still_dispatched() {
        assert_eq!(all(&[b"data: tail"]), vec![ev("", "tail")]);
    }

    #[test]
    fn invalid_utf8_and_oversized_events_are_errors() {
        let mut d = SseDecoder::new(1024);
        let mut out = Vec::new();
        assert_eq!(
            d.feed(b"data: ok\n\ndata: \xff\xfe\n", &mut out),
            Err(SseError::Utf8(16))
        );
        assert_eq!(
            out,
            vec![ev("", "ok")],
            "the events before the error are kept"
        );
        let mut d = SseDecoder::new(100);
        let big = vec![b'x'; 200];
        assert_eq!(d.feed(&big, &mut out), Err(SseError::TooLarge(100)));
        let mut d = SseDecoder::new(100);
        let mut lines = Vec::new();
        for _ in 0..20 {
            lines.extend_from_slice(b"data: 0123456789\n");
        }
        assert_eq!(d.feed(&lines, &mut out), Err(SseError::TooLarge(100)));
    }

    #[test]
    fn one_huge_event_in_small_chunks_is_decoded_whole() {
        // Its speed is measured by `cargo bench --bench stream` (linear: see BENCHMARKS.md).
        let payload = "y".repeat(4 * 1024 * 1024);
        let text = format!("data: {payload}\n\n");
        let mut d = SseDecoder::new(64 << 20);
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(16 * 1024) {
            d.feed(chunk, &mut out).unwrap();
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data.len(), payload.len());
        assert_eq!(d.pending(), 0);
    }
}
