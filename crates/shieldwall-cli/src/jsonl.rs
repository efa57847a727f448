//! The JSON Lines driver every subcommand shares.
//!
//! One output line per input line, in order. A line that is not valid UTF-8, not a JSON
//! object, lacks the field, or fails in the primitive gets an error object naming the line
//! number and the problem (`{"line": 7, "error": "..."}`) and processing goes on. The caller
//! turns [`Summary::failed`] into the exit code.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};
use shieldwall::guard::json_kind;

/// Longest input line accepted; longer lines are skipped with an error object.
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// Where lines come from: a file (with a size, for the progress bar) or stdin.
pub struct Input {
    reader: Box<dyn BufRead>,
    progress: Option<ProgressBar>,
}

impl Input {
    /// Opens `path`, or stdin when `None` or `-`. A progress bar is drawn on stderr when
    /// reading a file and stderr is a terminal.
    pub fn open(path: Option<&Path>) -> io::Result<Self> {
        match path {
            Some(p) if p != Path::new("-") => {
                let file = File::open(p).map_err(|e| {
                    io::Error::new(e.kind(), format!("cannot open {}: {e}", p.display()))
                })?;
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                let progress = io::stderr().is_terminal().then(|| {
                    let bar = ProgressBar::new(len);
                    if let Ok(style) = ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    ) {
                        bar.set_style(style);
                    }
                    bar
                });
                Ok(Self {
                    reader: Box::new(BufReader::with_capacity(1 << 16, file)),
                    progress,
                })
            }
            _ => Ok(Self {
                reader: Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
                progress: None,
            }),
        }
    }

    /// Reads the next line (without its `\n` / `\r\n`) into `buf`. Returns `Ok(None)` at the
    /// end, `Ok(Some(true))` for a line that fit, `Ok(Some(false))` for a line longer than
    /// `max` (its bytes are consumed and dropped, `buf` holds the first `max`).
    pub fn next_line(&mut self, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<bool>> {
        buf.clear();
        let mut fit = true;
        let mut any = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = max.saturating_sub(buf.len());
            if take > room {
                fit = false;
            }
            buf.extend_from_slice(&chunk[..take.min(room)]);
            self.reader.consume(take);
            if let Some(bar) = &self.progress {
                bar.inc(take as u64);
            }
            if done {
                break;
            }
        }
        if !any {
            if let Some(bar) = &self.progress {
                bar.finish_and_clear();
            }
            return Ok(None);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        Ok(Some(fit))
    }
}

/// Counts of a JSON Lines run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Lines read.
    pub lines: u64,
    /// Lines answered with an error object.
    pub failed: u64,
}

/// Runs `f` on the string `field` of every JSON object line of `input`, writing one JSON line
/// per input line to `out`.
///
/// `f` gets the field's text and the whole object, and returns the output object or an error
/// message.
pub fn run<F>(input: &mut Input, out: &mut dyn Write, field: &str, mut f: F) -> io::Result<Summary>
where
    F: FnMut(&str, &Map<String, Value>) -> Result<Value, String>,
{
    run_objects(input, out, |object| match object.get(field) {
        Some(Value::String(s)) => f(s, object),
        Some(other) => Err(format!(
            "field \"{field}\" must be a string, found {}",
            json_kind(other)
        )),
        None => Err(format!("missing field \"{field}\"")),
    })
}

/// Runs `f` on every JSON object line of `input`, writing one JSON line per input line to
/// `out`.
pub fn run_objects<F>(input: &mut Input, out: &mut dyn Write, mut f: F) -> io::Result<Summary>
where
    F: FnMut(&Map<String, Value>) -> Result<Value, String>,
{
    let mut summary = Summary::default();
    let mut buf = Vec::new();
    while let Some(fit) = input.next_line(&mut buf, DEFAULT_MAX_LINE)? {
        summary.lines += 1;
        let line = summary.lines;
        let result = if fit {
            answer(&buf, &mut f)
        } else {
            Err(format!(
                "line is longer than the maximum of {DEFAULT_MAX_LINE} bytes"
            ))
        };
        let value = result.unwrap_or_else(|error| {
            summary.failed += 1;
            json!({ "line": line, "error": error })
        });
        serde_json::to_writer(&mut *out, &value)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(summary)
}

fn answer<F>(raw: &[u8], f: &mut F) -> Result<Value, String>
where
    F: FnMut(&Map<String, Value>) -> Result<Value, String>,
{
    let text = std::str::from_utf8(raw)
        .map_err(|e| format!("line is not valid utf-8 (at byte {})", e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err("expected a json object, found an empty line".into());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid json: {e}"))?;
    let Value::Object(object) = value else {
        return Err(format!(
            "expected a json object, found {}",
            json_kind(&value)
        ));
    };
    f(&object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drive(input: &'static [u8]) -> (String, Summary) {
        let mut inp = Input {
            reader: Box::new(input),
            progress: None,
        };
        let mut out = Vec::new();
        let summary = run(&mut inp, &mut out, "text", |s, _| {
            Ok(json!({ "len": s.len() }))
        })
        .unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    #[test]
    fn one_line_out_per_line_in_with_errors_in_place() {
        let (out, summary) = drive(
            b"{\"text\": \"abc\"}\nnot json\n\n{\"other\": 1}\n{\"text\": 5}\n[1]\n\xff\xfe\n{\"text\": \"\"}\r\n{\"text\": \"last\"}",
        );
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 9);
        assert_eq!(lines[0], json!({"len": 3}));
        assert_eq!(lines[1]["line"], 2);
        assert!(
            lines[1]["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid json")
        );
        assert_eq!(
            lines[2]["error"],
            "expected a json object, found an empty line"
        );
        assert_eq!(lines[3]["error"], "missing field \"text\"");
        assert_eq!(
            lines[4]["error"],
            "field \"text\" must be a string, found a number"
        );
        assert_eq!(lines[5]["error"], "expected a json object, found an array");
        assert_eq!(lines[6]["error"], "line is not valid utf-8 (at byte 0)");
        assert_eq!(lines[7], json!({"len": 0}));
        assert_eq!(lines[8], json!({"len": 4}));
        assert_eq!(summary.lines, 9);
        assert_eq!(summary.failed, 6);
    }

    #[test]
    fn long_lines_are_cut_and_reported() {
        let mut inp = Input {
            reader: Box::new(&b"0123456789\nab\n"[..]),
            progress: None,
        };
        let mut buf = Vec::new();
        assert_eq!(inp.next_line(&mut buf, 4).unwrap(), Some(false));
        assert_eq!(buf, b"0123");
        assert_eq!(inp.next_line(&mut buf, 4).unwrap(), Some(true));
        assert_eq!(buf, b"ab");
        assert_eq!(inp.next_line(&mut buf, 4).unwrap(), None);
    }
}
