//! How wide LaTeX math prints, estimated from its source: the widths of
//! Computer Modern's glyphs at 10 pt (measured with pdflatex), the spacing
//! TeX puts around binary operators and relations, subscripts and
//! superscripts at 80 % (and 68 % inside those: the script fonts are
//! drawn wider than scaled-down text), a fraction as wide as its
//! wider part. Widths are in hundredths of a point.
//!
//! Invariant: on the case tables' derivations the estimate is never below
//! what pdflatex prints (a small margin per glyph); it is no more than a
//! few percent above, so a line that fits is not broken.

/// Hundredths of a point in the width of a line of `symbols` average
/// printed symbols: 80 are an `article`'s text width, 345 pt at 10 pt.
pub fn page(symbols: usize) -> usize {
    symbols.saturating_mul(43_125) / 100
}

/// The font letters are set in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Font {
    /// Math italic (`x`), the default.
    Italic,
    /// Bold upright (`\mathbf{x}`).
    Bold,
    /// Upright roman (`\mathrm`, `\operatorname`, `\text`).
    Roman,
    /// Calligraphic (`\mathcal{L}`).
    Script,
}

/// Widths in hundredths of a point of `a`–`z` then `A`–`Z`.
const ITALIC: [u16; 52] = [
    529, 429, 433, 520, 466, 597, 513, 576, 345, 469, 552, 318, 878, 600, 485, 503, 482, 479, 469, 361, 572, 521, 743,
    572, 526, 509, 750, 809, 786, 856, 796, 782, 786, 912, 518, 651, 921, 681, 1079, 912, 791, 781, 791, 767, 671, 723,
    792, 806, 1083, 907, 803, 754,
];
/// `\mathbf` widths, as [`ITALIC`].
const BOLD: [u16; 52] = [
    559, 639, 511, 639, 527, 460, 591, 639, 319, 351, 607, 319, 958, 639, 575, 639, 607, 474, 454, 447, 639, 623, 847,
    607, 623, 511, 869, 818, 831, 882, 756, 724, 904, 900, 436, 594, 901, 692, 1092, 900, 864, 786, 864, 862, 639, 800,
    885, 885, 1205, 869, 898, 703,
];
/// `\mathrm` widths, as [`ITALIC`].
const ROMAN: [u16; 52] = [
    500, 556, 444, 556, 444, 383, 514, 556, 278, 306, 528, 278, 833, 556, 500, 556, 528, 392, 394, 389, 556, 542, 736,
    528, 542, 444, 750, 708, 722, 764, 681, 653, 785, 750, 361, 514, 778, 625, 917, 750, 778, 681, 778, 736, 556, 722,
    750, 764, 1042, 750, 775, 611,
];

/// Glyphs' widths at 10 pt, in hundredths of a point.
const DIGIT: u32 = 500;
const BOLD_DIGIT: u32 = 575;
const PAREN: u32 = 389;
/// A binary operator's glyph (`+`, `\odot`) and the medium spaces around it.
const BINARY: u32 = 778 + 2 * 222;
/// A relation's glyph (`=`) and the thick spaces around it.
const RELATION: u32 = 778 + 2 * 278;
/// The space after a script.
const SCRIPT_SPACE: u32 = 50;
/// A fraction's null delimiters either side.
const FRACTION: u32 = 240;
/// A sized delimiter (`\left(`) around a fraction.
const SIZED: u32 = 600;
/// Any glyph not in the tables.
const OTHER: u32 = 800;

/// Extra width per glyph, so that the estimate stays above pdflatex's
/// (kerning and italic corrections it does not model).
const MARGIN_PERCENT: u32 = 3;

/// The estimated printed width of the LaTeX math source `source`, in
/// hundredths of a point.
pub fn of(source: &str) -> usize {
    let chars: Vec<char> = source.chars().collect();
    let mut reader = Reader { chars: &chars, at: 0 };
    let width = reader.sequence(Style { scale: 100, font: Font::Italic }, None);
    (width * (100 + MARGIN_PERCENT) / 100) as usize
}

/// The size (percent of the text size) and font of what is being measured.
#[derive(Clone, Copy)]
struct Style {
    scale: u32,
    font: Font,
}

impl Style {
    fn scaled(self, width: u32) -> u32 {
        width * self.scale / 100
    }
    fn script(self) -> Style {
        Style { scale: if self.scale == 100 { 80 } else { 68 }, ..self }
    }
    fn with(self, font: Font) -> Style {
        Style { font, ..self }
    }
    /// Spacing around operators is dropped in scripts.
    fn spaced(self, glyph: u32, spaced: u32) -> u32 {
        if self.scale == 100 {
            spaced
        } else {
            self.scaled(glyph)
        }
    }
}

/// A cursor over the source's characters.
struct Reader<'a> {
    chars: &'a [char],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Measures up to the closing brace `until` (or the end).
    fn sequence(&mut self, style: Style, until: Option<char>) -> u32 {
        let mut width = 0;
        while let Some(c) = self.peek() {
            if Some(c) == until {
                self.at += 1;
                break;
            }
            width += self.atom(style);
        }
        width
    }

    /// Measures one argument: a `{…}` group or a single token.
    fn argument(&mut self, style: Style) -> u32 {
        while self.peek() == Some(' ') {
            self.at += 1;
        }
        if self.peek() == Some('{') {
            self.at += 1;
            self.sequence(style, Some('}'))
        } else if self.peek().is_some() {
            self.atom(style)
        } else {
            0
        }
    }

    /// Skips a `{…}` group (an environment's name).
    fn skip_group(&mut self) {
        let none = Style { scale: 0, font: Font::Roman };
        self.argument(none);
    }

    fn command(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_alphabetic) {
            name.push(c);
            self.at += 1;
        }
        name
    }

    /// Measures the next token and what it takes as arguments.
    fn atom(&mut self, style: Style) -> u32 {
        let Some(c) = self.peek() else { return 0 };
        self.at += 1;
        match c {
            ' ' | '&' | '}' => 0,
            '{' => self.sequence(style, Some('}')),
            '_' | '^' => self.argument(style.script()) + style.scaled(SCRIPT_SPACE),
            '\\' => self.control(style),
            '+' | '-' | '*' => style.spaced(778, BINARY),
            '=' | '<' | '>' => style.spaced(778, RELATION),
            ',' | ';' => style.spaced(278, 278 + 167),
            '(' | ')' | '[' | ']' => style.scaled(PAREN),
            '|' | '.' | '\'' | '!' => style.scaled(278),
            '0'..='9' => style.scaled(if style.font == Font::Bold { BOLD_DIGIT } else { DIGIT }),
            'a'..='z' | 'A'..='Z' => style.scaled(letter(c, style.font)),
            _ => style.scaled(OTHER),
        }
    }

    /// Measures a control sequence after its backslash.
    fn control(&mut self, style: Style) -> u32 {
        let name = self.command();
        match name.as_str() {
            "" => {
                let Some(c) = self.peek() else { return 0 };
                self.at += 1;
                match c {
                    '\\' => 0,
                    ',' => style.scaled(167),
                    '|' => style.scaled(500),
                    '_' => style.scaled(360),
                    _ => style.scaled(OTHER),
                }
            }
            "mathbf" | "boldsymbol" => self.argument(style.with(Font::Bold)),
            "mathrm" | "operatorname" | "text" => self.argument(style.with(Font::Roman)),
            "mathit" => self.argument(style.with(Font::Italic)),
            "mathcal" => self.argument(style.with(Font::Script)),
            "frac" => {
                let numerator = self.argument(style);
                let denominator = self.argument(style);
                numerator.max(denominator) + style.scaled(FRACTION)
            }
            "sqrt" => style.scaled(833) + self.argument(style),
            "left" | "right" => match self.peek() {
                Some('.') => {
                    self.at += 1;
                    style.scaled(FRACTION / 2)
                }
                _ => {
                    // The delimiter is the next token; sized, it is wider.
                    let delimiter = self.atom(style);
                    delimiter.max(style.scaled(SIZED))
                }
            },
            "begin" | "end" => {
                self.skip_group();
                0
            }
            "quad" => style.scaled(1000),
            "qquad" => style.scaled(2000),
            "odot" | "times" | "cdot" | "circ" if style.scale < 100 => style.scaled(778),
            "odot" | "times" | "cdot" | "pm" => BINARY,
            "circ" => style.scaled(500),
            "top" => style.scaled(778),
            "nabla" => style.scaled(833),
            "partial" => style.scaled(586),
            "ell" => style.scaled(417),
            "sum" | "prod" => style.scaled(1444),
            "exp" | "log" | "sin" | "cos" | "tan" | "tanh" | "arcsin" | "arccos" | "arctan" | "det" => {
                let letters: u32 = name.chars().map(|c| letter(c, Font::Roman)).sum();
                style.scaled(letters)
            }
            // Greek letters and other symbols.
            _ => style.scaled(if style.font == Font::Bold { 723 } else { 620 }),
        }
    }
}

/// The width of an ASCII letter in `font`.
fn letter(c: char, font: Font) -> u32 {
    let index = if c.is_ascii_lowercase() { c as usize - 'a' as usize } else { 26 + c as usize - 'A' as usize };
    let table = match font {
        Font::Italic => &ITALIC,
        Font::Bold => &BOLD,
        Font::Roman => &ROMAN,
        Font::Script => return 800,
    };
    u32::from(table[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within `percent` of `points` (pdflatex's width) and not below it.
    fn close(source: &str, points: f64, percent: f64) {
        let estimate = of(source) as f64 / 100.0;
        assert!(
            estimate >= points && estimate <= points * (1.0 + percent / 100.0),
            "{source}: {estimate} for {points}"
        );
    }

    #[test]
    fn estimates_are_close_to_pdflatex() {
        // Widths pdflatex prints at 10 pt, in display style.
        close(
            "\\nabla_{\\mathbf{W}} f = \\mathbf{W} \\mathbf{x} (\\mathbf{W}^\\top \\mathbf{W} \\mathbf{x} - \\mathbf{x})^\\top + \\mathbf{W} (\\mathbf{W}^\\top \\mathbf{W} \\mathbf{x} - \\mathbf{x}) \\mathbf{x}^\\top",
            224.97,
            6.0,
        );
        close("a + b", 21.80, 5.0);
        close("a = b", 22.91, 5.0);
        close("a^\\top", 12.04, 6.0);
        close("\\frac{\\partial L}{\\partial \\mathbf{z}_2}", 17.86, 8.0);
        close("\\log(a)", 25.98, 6.0);
        close("\\mathit{loss}", 16.67, 8.0);
    }

    #[test]
    fn pages() {
        assert_eq!(page(80), 34_500);
        assert_eq!(page(0), 0);
    }
}
