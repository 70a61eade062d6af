//! PDF/A-2b renditions of caselog's HTML exhibits (the court report and
//! the certification), for courts' e-filing systems that take PDF/A.
//!
//! Owns the rendition: the exhibit's own HTML is read back
//! ([`blocks`]), laid out in DejaVu Sans Mono ([`typeset`]) and written by
//! the krilla PDF library with its PDF/A-2b validator (ISO 19005-2 level B:
//! embedded, subset fonts; XMP metadata with `pdfaid:part` 2 and
//! `pdfaid:conformance` B; an sRGB output intent), which refuses at the end
//! anything the standard forbids. The text is the HTML's, word for word;
//! a first-page note names the HTML it renders (file name and SHA-256) and
//! says what it does not reproduce (the timeline drawing) and how
//! characters the font lacks are shown.

pub mod blocks;
pub mod typeset;

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use thiserror::Error;

use blocks::{Block, Span};
use typeset::Op;

const REGULAR: &[u8] = include_bytes!("fonts/DejaVuSansMono.ttf");
const BOLD: &[u8] = include_bytes!("fonts/DejaVuSansMono-Bold.ttf");

/// Why no PDF was made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The PDF library refused the document (a PDF/A-2b rule would break).
    #[error("the PDF library refused the document: {0}")]
    Refused(String),
}

/// What the rendition says about itself.
pub struct Rendition<'a> {
    /// File name of the HTML exhibit it renders.
    pub source_name: &'a str,
    /// That HTML's bytes (their SHA-256 is printed on the first page).
    pub html: &'a str,
    /// When it was made (UTC): the PDF's creation date.
    pub made: chrono::DateTime<chrono::Utc>,
}

/// Render caselog's exhibit HTML as a PDF/A-2b document.
pub fn render(r: &Rendition<'_>) -> Result<Vec<u8>, PdfError> {
    let (mut blocks, title) = blocks::read(r.html);
    let drawing = blocks.contains(&Block::Drawing);
    let lacking = cover(&mut blocks);
    blocks.insert(0, Block::Para(vec![note(r, drawing, lacking)]));
    blocks.retain(|b| *b != Block::Drawing);
    let advance = advance();
    let footer = format!("{title} (PDF/A rendition of {})", r.source_name);
    let pages = typeset::layout(&blocks, advance, &footer);
    write(&pages, &title, r.made)
}

/// The first-page statement of what this PDF is.
fn note(r: &Rendition<'_>, drawing: bool, lacking: bool) -> Span {
    use sha2::Digest as _;
    let digest = hex::encode(sha2::Sha256::digest(r.html.as_bytes()));
    let mut text = format!(
        "This PDF/A-2b document is a rendition of the HTML exhibit {} (SHA-256 {digest}), made by caselog {} with the PDF library krilla. After this paragraph its text is the HTML's text; the page footers are added.",
        r.source_name,
        env!("CARGO_PKG_VERSION")
    );
    if drawing {
        text.push_str(" The HTML's timeline drawing is not reproduced here; the chronology below lists the same entries.");
    }
    if lacking {
        text.push_str(" Characters the embedded font lacks are shown as U+ and their code point.");
    }
    Span {
        text,
        ..Span::default()
    }
}

/// Replace characters the font has no glyph of its one advance for with
/// "U+XXXX"; true if any was.
fn cover(blocks: &mut [Block]) -> bool {
    let face = ttf_parser::Face::parse(REGULAR, 0).expect("pdf: the embedded font parses");
    let bold = ttf_parser::Face::parse(BOLD, 0).expect("pdf: the embedded bold font parses");
    let m = face
        .glyph_index('M')
        .and_then(|g| face.glyph_hor_advance(g));
    let ok = |f: &ttf_parser::Face<'_>, c: char| {
        c == '\n' || f.glyph_index(c).and_then(|g| f.glyph_hor_advance(g)) == m && !c.is_control()
    };
    let mut lacking = false;
    let mut fix = |s: &mut Span| {
        let f = if s.bold { &bold } else { &face };
        if s.text.chars().all(|c| ok(f, c)) {
            return;
        }
        lacking = true;
        s.text = s
            .text
            .chars()
            .map(|c| {
                if ok(f, c) {
                    c.to_string()
                } else {
                    format!("U+{:04X}", c as u32)
                }
            })
            .collect();
    };
    for b in blocks.iter_mut() {
        match b {
            Block::Heading(_, i) | Block::Para(i) | Block::Item(_, i) => {
                i.iter_mut().for_each(&mut fix)
            }
            Block::Table(h, rows) => h
                .iter_mut()
                .chain(rows.iter_mut().flatten())
                .flatten()
                .for_each(&mut fix),
            Block::Pre(t) => {
                let mut s = Span {
                    text: std::mem::take(t),
                    ..Span::default()
                };
                fix(&mut s);
                *t = s.text;
            }
            Block::Drawing => {}
        }
    }
    lacking
}

/// The font's advance width per point of size.
fn advance() -> f32 {
    let face = ttf_parser::Face::parse(REGULAR, 0).expect("pdf: the embedded font parses");
    let adv = face
        .glyph_index('M')
        .and_then(|g| face.glyph_hor_advance(g))
        .expect("pdf: the embedded font has M");
    f32::from(adv) / f32::from(face.units_per_em())
}

fn write(
    pages: &[Vec<Op>],
    title: &str,
    made: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, PdfError> {
    use chrono::{Datelike as _, Timelike as _};
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_B)
        .finish()
        .map_err(|e| PdfError::Refused(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut doc = Document::new_with(settings);
    let regular = Font::new(REGULAR.into(), 0).expect("pdf: the embedded font loads");
    let bold = Font::new(BOLD.into(), 0).expect("pdf: the embedded bold font loads");
    for ops in pages {
        let size = PageSettings::from_wh(typeset::PAGE.0, typeset::PAGE.1)
            .expect("pdf: page size is positive");
        let mut page = doc.start_page_with(size);
        let mut surface = page.surface();
        surface.set_fill(Some(Fill {
            paint: rgb::Color::black().into(),
            ..Fill::default()
        }));
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: b,
                    text,
                } => {
                    let font = if *b { bold.clone() } else { regular.clone() };
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font,
                        *size,
                        text,
                        false,
                        TextDirection::LeftToRight,
                    );
                }
                Op::Rule { from, to, width } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(from.0, from.1);
                    pb.line_to(to.0, to.1);
                    let Some(path) = pb.finish() else { continue };
                    surface.set_stroke(Some(Stroke {
                        width: *width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    let date = DateTime::new(made.year() as u16)
        .month(made.month() as u8)
        .day(made.day() as u8)
        .hour(made.hour() as u8)
        .minute(made.minute() as u8)
        .second(made.second() as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("en".to_string())
            .creator(format!("caselog {}", env!("CARGO_PKG_VERSION")))
            .creation_date(date),
    );
    doc.finish()
        .map_err(|e| PdfError::Refused(format!("{e:?}")))
}
