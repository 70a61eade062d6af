//! Lays blocks of monospaced text out on US Letter pages: word wrap,
//! tables with columns fitted to the page and heads repeated after a page
//! break, and a footer with page numbers. Produces drawing operations;
//! [`super`] hands them to the PDF library.
//!
//! Every glyph of the font has the same advance ([`super::Font`] checks
//! the characters given to it), so a line's width is its character count
//! times the advance and nothing is measured twice.

use super::blocks::{Block, Inline};

/// Page width and height, points (US Letter).
pub const PAGE: (f32, f32) = (612.0, 792.0);
const MARGIN: f32 = 54.0;
const BOTTOM: f32 = 62.0;
const GAP: usize = 2;

/// One thing drawn on a page (y grows downwards from the top edge).
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Text at a baseline.
    Text {
        /// Left edge.
        x: f32,
        /// Baseline.
        y: f32,
        /// Font size, points.
        size: f32,
        /// Bold face.
        bold: bool,
        /// The characters.
        text: String,
    },
    /// A straight rule.
    Rule {
        /// Start.
        from: (f32, f32),
        /// End.
        to: (f32, f32),
        /// Line width.
        width: f32,
    },
}

/// One styled character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ch {
    c: char,
    bold: bool,
    strike: bool,
}

type Line = Vec<Ch>;

/// The layout in progress.
struct Layout {
    advance: f32,
    pages: Vec<Vec<Op>>,
    y: f32,
}

/// Lay `blocks` out; `advance` is the font's advance width per point of
/// size; `footer` is printed at the foot of every page with "page N of M".
pub fn layout(blocks: &[Block], advance: f32, footer: &str) -> Vec<Vec<Op>> {
    let mut l = Layout {
        advance,
        pages: vec![Vec::new()],
        y: MARGIN,
    };
    for b in blocks {
        match b {
            Block::Heading(level, text) => {
                let size = match level {
                    1 => 14.0,
                    2 => 11.5,
                    _ => 10.0,
                };
                l.y += if *level == 1 { 4.0 } else { 10.0 };
                // A heading keeps three lines of what follows with it.
                l.room(size * 1.3 + 3.0 + 3.0 * 11.7);
                l.paragraph(text, size, 0, "");
                l.y += 3.0;
            }
            Block::Para(text) => {
                l.paragraph(text, 9.0, 0, "");
                l.y += 5.0;
            }
            Block::Item(marker, text) => {
                l.paragraph(text, 9.0, marker.chars().count() + 1, marker);
                l.y += 2.0;
            }
            Block::Pre(text) => {
                l.pre(text, 8.0);
                l.y += 5.0;
            }
            Block::Table(head, rows) => {
                l.table(head, rows, 7.0);
                l.y += 8.0;
            }
            Block::Drawing => {}
        }
    }
    l.finish(footer)
}

impl Layout {
    fn cols(&self, size: f32) -> usize {
        ((PAGE.0 - 2.0 * MARGIN) / (self.advance * size)).floor() as usize
    }

    /// Make room for one line of `leading`; a new page if it does not fit.
    fn room(&mut self, leading: f32) -> bool {
        if self.y + leading > PAGE.1 - BOTTOM {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }

    fn paragraph(&mut self, text: &Inline, size: f32, indent: usize, marker: &str) {
        let lines = wrap(&chars(text), self.cols(size) - indent);
        for (i, line) in lines.iter().enumerate() {
            self.room(size * 1.3);
            self.y += size * 1.3;
            if i == 0 && !marker.is_empty() {
                let m: Line = marker
                    .chars()
                    .map(|c| Ch {
                        c,
                        bold: false,
                        strike: false,
                    })
                    .collect();
                self.draw(&m, MARGIN, size);
            }
            let x = MARGIN + indent as f32 * self.advance * size;
            self.draw(line, x, size);
        }
    }

    fn pre(&mut self, text: &str, size: f32) {
        let cols = self.cols(size) - 2;
        for raw in text.split('\n') {
            let all: Line = raw
                .chars()
                .map(|c| Ch {
                    c,
                    bold: false,
                    strike: false,
                })
                .collect();
            let mut parts: Vec<&[Ch]> = all.chunks(cols.max(1)).collect();
            if parts.is_empty() {
                parts.push(&[]);
            }
            for part in parts {
                self.room(size * 1.25);
                self.y += size * 1.25;
                self.draw(part, MARGIN + 2.0 * self.advance * size, size);
            }
        }
    }

    fn table(&mut self, head: &[Inline], rows: &[Vec<Inline>], size: f32) {
        let n = rows
            .iter()
            .map(Vec::len)
            .chain([head.len()])
            .max()
            .unwrap_or(0);
        if n == 0 {
            return;
        }
        let cell = |r: &[Inline], i: usize| r.get(i).map(chars).unwrap_or_default();
        let bold = |l: Line| {
            l.into_iter()
                .map(|c| Ch { bold: true, ..c })
                .collect::<Line>()
        };
        let head: Vec<Line> = (0..n).map(|i| bold(cell(head, i))).collect();
        let body: Vec<Vec<Line>> = rows
            .iter()
            .map(|r| (0..n).map(|i| cell(r, i)).collect())
            .collect();
        let widths = fit(&head, &body, self.cols(size).saturating_sub(GAP * (n - 1)));
        let has_head = head.iter().any(|c| !c.is_empty());
        if has_head {
            self.row(&head, &widths, size, None);
        }
        for r in &body {
            let repeat = has_head.then_some(&head[..]);
            self.row(r, &widths, size, repeat);
        }
    }

    /// One table row: its cells wrapped to their columns, drawn line by
    /// line (a row may continue on the next page, under the head again).
    fn row(&mut self, cells: &[Line], widths: &[usize], size: f32, head: Option<&[Line]>) {
        let wrapped: Vec<Vec<Line>> = cells.iter().zip(widths).map(|(c, w)| wrap(c, *w)).collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let leading = size * 1.25;
        let cw = self.advance * size;
        for i in 0..height {
            if self.room(leading) {
                if let Some(h) = head {
                    self.row(h, widths, size, None);
                }
            }
            self.y += leading;
            let mut x = MARGIN;
            for (lines, w) in wrapped.iter().zip(widths) {
                if let Some(line) = lines.get(i) {
                    self.draw(line, x, size);
                }
                x += (*w + GAP) as f32 * cw;
            }
        }
        let y = self.y + size * 0.45;
        let width = if head.is_none() { 0.6 } else { 0.25 };
        self.op(Op::Rule {
            from: (MARGIN, y),
            to: (PAGE.0 - MARGIN, y),
            width,
        });
        self.y += size * 0.3;
    }

    /// Draw a line of styled characters at the current baseline.
    fn draw(&mut self, line: &[Ch], x: f32, size: f32) {
        let cw = self.advance * size;
        let mut start = 0;
        while start < line.len() {
            let style = (line[start].bold, line[start].strike);
            let end = (start..line.len())
                .find(|&j| (line[j].bold, line[j].strike) != style)
                .unwrap_or(line.len());
            let text: String = line[start..end].iter().map(|c| c.c).collect();
            let x0 = x + start as f32 * cw;
            if !text.trim().is_empty() {
                self.op(Op::Text {
                    x: x0,
                    y: self.y,
                    size,
                    bold: style.0,
                    text,
                });
            }
            if style.1 {
                let y = self.y - size * 0.3;
                let to = (x + end as f32 * cw, y);
                self.op(Op::Rule {
                    from: (x0, y),
                    to,
                    width: 0.6,
                });
            }
            start = end;
        }
    }

    fn op(&mut self, op: Op) {
        self.pages
            .last_mut()
            .expect("pdf: a layout always has a page")
            .push(op);
    }

    fn finish(mut self, footer: &str) -> Vec<Vec<Op>> {
        let total = self.pages.len();
        let size = 7.0;
        let cols = self.cols(size);
        for (i, page) in self.pages.iter_mut().enumerate() {
            let right = format!("page {} of {total}", i + 1);
            let room = cols.saturating_sub(right.chars().count() + 2);
            let left: String = footer.chars().take(room).collect();
            let y = PAGE.1 - BOTTOM + 30.0;
            page.push(Op::Text {
                x: MARGIN,
                y,
                size,
                bold: false,
                text: left,
            });
            let x = PAGE.0 - MARGIN - right.chars().count() as f32 * self.advance * size;
            page.push(Op::Text {
                x,
                y,
                size,
                bold: false,
                text: right,
            });
        }
        self.pages
    }
}

fn chars(text: &Inline) -> Line {
    text.iter()
        .flat_map(|s| {
            s.text.chars().map(|c| Ch {
                c,
                bold: s.bold,
                strike: s.strike,
            })
        })
        .collect()
}

/// Word-wrap to `width` characters; `\n` breaks; a word longer than the
/// line (a digest, a key) is split.
fn wrap(text: &[Ch], width: usize) -> Vec<Line> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in text.split(|c| c.c == '\n') {
        let mut line: Line = Vec::new();
        for word in para.split(|c| c.c == ' ').filter(|w| !w.is_empty()) {
            let sep = usize::from(!line.is_empty());
            if line.len() + sep + word.len() > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                let style = line[line.len() - 1];
                line.push(Ch { c: ' ', ..style });
            }
            for chunk in word.chunks(width) {
                if line.len() + chunk.len() > width {
                    out.push(std::mem::take(&mut line));
                }
                line.extend_from_slice(chunk);
            }
        }
        out.push(line);
    }
    out
}

/// Column widths (characters) that fit `avail`: each column's longest line
/// if they all fit; else each keeps the smaller of its natural width and
/// its longest word (at most 16), and the room left is shared in
/// proportion to what each still lacks.
fn fit(head: &[Line], body: &[Vec<Line>], avail: usize) -> Vec<usize> {
    let longest = |c: &Line, sep: &dyn Fn(char) -> bool| {
        c.split(|x| sep(x.c)).map(<[Ch]>::len).max().unwrap_or(0)
    };
    let n = head.len();
    let column = |i: usize| body.iter().map(move |r| &r[i]).chain([&head[i]]);
    let natural: Vec<usize> = (0..n)
        .map(|i| {
            column(i)
                .map(|c| longest(c, &|x| x == '\n'))
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    if natural.iter().sum::<usize>() <= avail {
        return natural;
    }
    let floor: Vec<usize> = (0..n)
        .map(|i| {
            column(i)
                .map(|c| longest(c, &|x| x == '\n' || x == ' '))
                .max()
                .unwrap_or(0)
                .clamp(1, 16)
        })
        .collect();
    let base: usize = floor.iter().sum();
    if base >= avail {
        return vec![(avail / n).max(1); n];
    }
    let lack: Vec<usize> = (0..n).map(|i| natural[i] - floor[i]).collect();
    let total: usize = lack.iter().sum();
    let room = avail - base;
    let mut w: Vec<usize> = (0..n)
        .map(|i| floor[i] + lack[i] * room / total.max(1))
        .collect();
    // Rounding leaves a few characters: give them to the neediest columns.
    let mut left = avail - w.iter().sum::<usize>();
    while left > 0 {
        let Some(i) = (0..n)
            .filter(|&i| w[i] < natural[i])
            .max_by_key(|&i| natural[i] - w[i])
        else {
            break;
        };
        w[i] += 1;
        left -= 1;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::pdf::blocks::Span;

    fn line(s: &str) -> Line {
        s.chars()
            .map(|c| Ch {
                c,
                bold: false,
                strike: false,
            })
            .collect()
    }

    fn text(l: &Line) -> String {
        l.iter().map(|c| c.c).collect()
    }

    #[test]
    fn wraps_at_words_and_splits_what_is_longer_than_a_line() {
        let got: Vec<String> = wrap(&line("ab cd ef\n0123456789abc"), 5)
            .iter()
            .map(text)
            .collect();
        assert_eq!(got, ["ab cd", "ef", "01234", "56789", "abc"]);
    }

    #[test]
    fn columns_fit_the_page_in_proportion_to_what_they_hold() {
        let head = vec![line("No."), line("Event")];
        let body = vec![vec![line("6"), line(&"x".repeat(200))]];
        assert_eq!(fit(&head, &body, 100), [3, 97]);
        assert_eq!(fit(&head, &body, 300), [3, 200]);
        let body = vec![vec![line(&"a ".repeat(50)), line(&"b ".repeat(150))]];
        let w = fit(&head, &body, 100);
        assert_eq!(w.iter().sum::<usize>(), 100);
        assert!(w[1] > 2 * w[0], "{w:?}");
    }

    #[test]
    fn a_long_table_breaks_pages_and_repeats_its_head() {
        let cell = |s: &str| {
            vec![Span {
                text: s.into(),
                ..Span::default()
            }]
        };
        let head = vec![cell("No."), cell("Event")];
        let rows: Vec<Vec<Inline>> = (0..200)
            .map(|i| vec![cell(&i.to_string()), cell("event")])
            .collect();
        let pages = layout(&[Block::Table(head, rows)], 0.6, "footer");
        assert!(pages.len() > 2);
        for p in &pages {
            let heads = p
                .iter()
                .filter(|o| matches!(o, Op::Text { text, bold: true, .. } if text == "No."))
                .count();
            assert_eq!(heads, 1, "each page starts with the head: {p:?}");
            assert!(p
                .iter()
                .any(|o| matches!(o, Op::Text { text, .. } if text.starts_with("page "))));
        }
    }
}
