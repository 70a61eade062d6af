//! caselog's own exhibit HTML read back as blocks of styled text, so the
//! PDF rendition says word for word what the HTML says.
//!
//! Owns the reading of the markup subset the court report and the
//! certification write (headings, paragraphs, lists, tables, `pre`, `br`,
//! `s`, `strong`; `style`, `title` and `head` are skipped; an `svg` drawing
//! becomes [`Block::Drawing`]). It is not a general HTML parser: it reads
//! only what caselog writes, and unknown tags are read for their text.

/// One run of text with its style.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// The text; `\n` is a hard line break.
    pub text: String,
    /// Bold (headings, table heads, `strong`).
    pub bold: bool,
    /// Struck through (`s`: an original value a correction replaced).
    pub strike: bool,
}

/// Styled text: a sequence of spans.
pub type Inline = Vec<Span>;

/// A block of the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// `h1`..`h3`.
    Heading(u8, Inline),
    /// A paragraph (`p`, `div`, text between blocks).
    Para(Inline),
    /// A list item with its marker ("•" or "1.").
    Item(String, Inline),
    /// Preformatted text, lines kept.
    Pre(String),
    /// A table: its head row (may be empty) and body rows.
    Table(Vec<Inline>, Vec<Vec<Inline>>),
    /// An SVG drawing the rendition does not reproduce.
    Drawing,
}

/// What the reader is inside of.
#[derive(Default)]
struct Reader {
    blocks: Vec<Block>,
    cur: Inline,
    bold: u32,
    strike: u32,
    skip: Option<&'static str>,
    pre: Option<String>,
    table: Option<(Vec<Inline>, Vec<Vec<Inline>>)>,
    row: Option<(bool, Vec<Inline>)>,
    cell: Option<Inline>,
    lists: Vec<Option<u32>>,
    item: Option<String>,
    heading: Option<u8>,
}

/// Read caselog's exhibit HTML into blocks; the `title` element's text too.
pub fn read(html: &str) -> (Vec<Block>, String) {
    let mut r = Reader::default();
    let mut title = String::new();
    let mut rest = html;
    let mut in_title = false;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').map_or(after.len(), |e| e + 1);
            let tag = &after[..end.saturating_sub(1)];
            rest = &after[end.min(after.len())..];
            if tag.starts_with('!') || tag.starts_with('?') {
                continue;
            }
            let (closing, name) = match tag.strip_prefix('/') {
                Some(t) => (true, t),
                None => (false, tag),
            };
            let name = name
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if name == "title" {
                in_title = !closing;
            }
            r.tag(&name, closing);
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = unescape(&rest[..end]);
            rest = &rest[end..];
            if in_title {
                title.push_str(&text);
            }
            r.text(&text);
        }
    }
    r.flush();
    (r.blocks, title)
}

impl Reader {
    fn tag(&mut self, name: &str, closing: bool) {
        if let Some(skip) = self.skip {
            if closing && name == skip {
                self.skip = None;
            }
            return;
        }
        match (name, closing) {
            ("style" | "title" | "head" | "script", false) => {
                self.skip = Some(match name {
                    "style" => "style",
                    "title" => "title",
                    "head" => "head",
                    _ => "script",
                })
            }
            ("svg", false) => {
                self.flush();
                self.blocks.push(Block::Drawing);
                self.skip = Some("svg");
            }
            ("pre", false) => {
                self.break_line();
                self.pre = Some(String::new());
            }
            ("pre", true) => self.end_pre(),
            ("br", _) => self.push_text("\n"),
            ("strong" | "b", false) => self.bold += 1,
            ("th", false) => {
                self.bold += 1;
                self.cell = Some(Vec::new());
            }
            ("strong" | "b", true) => self.bold = self.bold.saturating_sub(1),
            ("s", false) => self.strike += 1,
            ("s", true) => self.strike = self.strike.saturating_sub(1),
            ("table", false) => {
                self.flush();
                self.table = Some((Vec::new(), Vec::new()));
            }
            ("table", true) => self.end_table(),
            ("tr", false) => self.row = Some((false, Vec::new())),
            ("thead", false) => self.row = Some((true, Vec::new())),
            ("tr", true) => self.end_row(),
            ("td", false) => self.cell = Some(Vec::new()),
            ("td" | "th", true) => self.end_cell(name == "th"),
            ("ul", false) => self.lists.push(None),
            ("ol", false) => self.lists.push(Some(0)),
            ("ul" | "ol", true) => {
                self.flush();
                self.lists.pop();
            }
            ("li", false) => self.start_item(),
            ("h1" | "h2" | "h3", false) => {
                self.flush();
                self.heading = Some(name.as_bytes()[1] - b'0');
                self.bold += 1;
            }
            ("h1" | "h2" | "h3", true) => {
                self.bold = self.bold.saturating_sub(1);
                self.flush();
            }
            ("p" | "div" | "li", _) => self.break_line(),
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip.is_some() {
            return;
        }
        if let Some(p) = &mut self.pre {
            p.push_str(t);
            return;
        }
        let t = collapse(t);
        if t.trim().is_empty()
            && self
                .cur
                .last()
                .is_none_or(|s| s.text.ends_with([' ', '\n']))
        {
            return;
        }
        self.push_text(&t);
    }

    fn push_text(&mut self, t: &str) {
        let target = self.cell.as_mut().unwrap_or(&mut self.cur);
        let (bold, strike) = (self.bold > 0, self.strike > 0);
        match target.last_mut() {
            Some(s) if s.bold == bold && s.strike == strike => s.text.push_str(t),
            _ => target.push(Span {
                text: t.to_string(),
                bold,
                strike,
            }),
        }
    }

    /// A block boundary: inside a cell or a list item a line break,
    /// elsewhere the end of a paragraph.
    fn break_line(&mut self) {
        if self.cell.is_some() {
            let c = self.cell.as_ref().expect("checked");
            if c.last().is_some_and(|s| !s.text.ends_with('\n')) {
                self.push_text("\n");
            }
        } else if self.item.is_none() {
            self.flush();
        } else if self.cur.last().is_some_and(|s| !s.text.ends_with('\n')) {
            self.push_text("\n");
        }
    }

    fn end_pre(&mut self) {
        let text = self.pre.take().unwrap_or_default();
        let text = text.trim_end_matches('\n');
        if self.cell.is_some() || self.item.is_some() {
            self.push_text(text);
            self.push_text("\n");
        } else {
            self.flush();
            self.blocks.push(Block::Pre(text.to_string()));
        }
    }

    fn start_item(&mut self) {
        self.flush();
        let marker = match self.lists.last_mut() {
            Some(Some(n)) => {
                *n += 1;
                format!("{n}.")
            }
            _ => "•".to_string(),
        };
        self.item = Some(marker);
    }

    fn end_cell(&mut self, head: bool) {
        if head {
            self.bold = self.bold.saturating_sub(1);
        }
        if let (Some(cell), Some((_, cells))) = (self.cell.take(), self.row.as_mut()) {
            cells.push(trim(cell));
        }
    }

    fn end_row(&mut self) {
        if let (Some((head, cells)), Some((h, rows))) = (self.row.take(), self.table.as_mut()) {
            let all_th = cells.iter().all(|c| c.iter().all(|s| s.bold));
            if (head || all_th) && h.is_empty() && rows.is_empty() {
                *h = cells;
            } else {
                rows.push(cells);
            }
        }
    }

    fn end_table(&mut self) {
        if let Some((head, rows)) = self.table.take() {
            self.blocks.push(Block::Table(head, rows));
        }
    }

    /// End the current paragraph, heading or list item.
    fn flush(&mut self) {
        let inline = trim(std::mem::take(&mut self.cur));
        let heading = self.heading.take();
        let item = self.item.take();
        if inline.is_empty() {
            return;
        }
        self.blocks.push(match (heading, item) {
            (Some(level), _) => Block::Heading(level, inline),
            (None, Some(marker)) => Block::Item(marker, inline),
            (None, None) => Block::Para(inline),
        });
    }
}

/// Whitespace runs become one space, as a browser shows them.
fn collapse(t: &str) -> String {
    let mut o = String::with_capacity(t.len());
    let mut space = false;
    for c in t.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                o.push(' ');
            }
            space = false;
            o.push(c);
        }
    }
    if space {
        o.push(' ');
    }
    o
}

/// Drop leading and trailing spaces and breaks of a run of spans.
fn trim(mut v: Inline) -> Inline {
    while let Some(first) = v.first_mut() {
        let t = first.text.trim_start().to_string();
        if t.is_empty() {
            v.remove(0);
        } else {
            first.text = t;
            break;
        }
    }
    while let Some(last) = v.last_mut() {
        let t = last.text.trim_end().to_string();
        if t.is_empty() {
            v.pop();
        } else {
            last.text = t;
            break;
        }
    }
    v
}

/// Resolve the character references caselog writes (and numeric ones).
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut o = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        o.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            o.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                o.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                o.push('&');
                rest = &rest[1..];
            }
        }
    }
    o.push_str(rest);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(i: &Inline) -> String {
        i.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn reads_the_markup_caselog_writes() {
        let html = "<!DOCTYPE html><html><head><title>T &amp; U</title><style>p{}</style></head>\
<body><h1>Case</h1><p>One <s>old</s> two&#39;s<br>next</p><svg><text>x</text></svg>\
<table><thead><tr><th>No.</th><th>What</th></tr></thead><tbody><tr><td>6</td><td>a<div class=\"corr\">b</div></td></tr></tbody></table>\
<ol><li>Run: <pre>caselog verify\n</pre></li><li>Then</li></ol></body></html>";
        let (blocks, title) = read(html);
        assert_eq!(title, "T & U");
        assert_eq!(blocks.len(), 6, "{blocks:#?}");
        assert!(matches!(&blocks[0], Block::Heading(1, i) if plain(i) == "Case"));
        let Block::Para(p) = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert_eq!(plain(p), "One old two's\nnext");
        assert!(p.iter().any(|s| s.strike && s.text == "old"));
        assert_eq!(blocks[2], Block::Drawing);
        let Block::Table(head, rows) = &blocks[3] else {
            panic!()
        };
        assert_eq!(head.iter().map(plain).collect::<Vec<_>>(), ["No.", "What"]);
        assert_eq!(rows[0].iter().map(plain).collect::<Vec<_>>(), ["6", "a\nb"]);
        assert!(
            matches!(&blocks[4], Block::Item(m, i) if m == "1." && plain(i) == "Run: \ncaselog verify")
        );
        assert!(matches!(&blocks[5], Block::Item(m, _) if m == "2."));
    }
}
