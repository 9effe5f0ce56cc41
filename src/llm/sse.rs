//! Server-sent events as chat-completion streams use them: `data: …` lines, events separated by
//! blank lines, `data: [DONE]` at the end.

/// Splits a growing buffer into complete `data:` payloads; what is left is kept for later.
#[derive(Debug, Default)]
pub struct SseBuffer {
    pending: String,
}

/// One event's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseEvent {
    /// A JSON payload.
    Data(String),
    /// The end marker.
    Done,
}

impl SseBuffer {
    /// Adds bytes read from the stream and returns the events they complete.
    pub fn push(&mut self, chunk: &str) -> Vec<SseEvent> {
        self.pending.push_str(&chunk.replace("\r\n", "\n"));
        let mut events = Vec::new();
        while let Some(end) = self.pending.find("\n\n") {
            let block: String = self.pending.drain(..end + 2).collect();
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            if data.is_empty() {
                continue; // a comment or keep-alive
            }
            let payload = data.join("\n");
            events.push(if payload.trim() == "[DONE]" {
                SseEvent::Done
            } else {
                SseEvent::Data(payload)
            });
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_reads_come_out_whole() {
        let mut buffer = SseBuffer::default();
        assert!(buffer.push("data: {\"a\":").is_empty());
        assert_eq!(
            buffer.push("1}\n\n: keep-alive\n\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\n\n"),
            vec![
                SseEvent::Data("{\"a\":1}".into()),
                SseEvent::Data("{\"b\":2}".into()),
                SseEvent::Done
            ]
        );
    }
}
