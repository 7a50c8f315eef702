//! The `matcalc` command line: parses arguments, calls the library,
//! prints. No mathematics lives here.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use matcalc::print::latex::Latex;
use matcalc::{analyze, Analysis, DerivativeKind, Error, Format};

mod usage;
use usage::{ABOUT, CHECK_EXAMPLES, DIFF_EXAMPLES, EXAMPLES, LONG_ABOUT, SIMPLIFY_EXAMPLES, TYPES_EXAMPLES};

/// `println!` that ignores a closed standard output (`matcalc … | head`)
/// instead of panicking, and remembers any other failure to write (a full
/// disk), which makes the exit status 1.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                crate::OUTPUT_FAILED.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }};
}

/// `eprintln!` that cannot panic when standard error is closed.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that cannot panic when standard error is closed.
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod checking;

/// Set when writing the output failed for another reason than a closed pipe.
static OUTPUT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[derive(Parser)]
#[command(name = "matcalc", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Differentiate the program's value: the gradient of a scalar, else the Jacobian
    /// ∂vec(F)/∂vec(X)ᵀ (numerator layout, vec stacking columns; Kronecker form for matrices;
    /// --layout denominator for its transpose)
    #[command(after_help = DIFF_EXAMPLES)]
    Diff {
        #[command(flatten)]
        input: Input,
        /// The variable to differentiate with respect to, or several separated by commas
        /// (`--wrt W1,b1,W2,b2`: one derivative after another; LaTeX as one aligned block)
        #[arg(short = 'w', long, value_name = "X")]
        wrt: String,
        /// Print the derivation, one line per node of the computational graph (text, unicode, latex)
        #[arg(short = 's', long)]
        steps: bool,
        /// LaTeX: print only the right-hand side, not the equation `\nabla_{\mathbf{W}} L = ...`
        #[arg(long)]
        bare: bool,
        /// Print the derivative as a differential, linear in dX: `d(A X B) = A dX B`, and for a
        /// scalar `dL = tr(G^T dX)` with G the gradient (text, unicode, latex); with --steps, the
        /// derivation of the gradient by differentials (product and chain rules, trace rules, G read off;
        /// for a Jacobian, vec(dF) = J vec(dX) and J read off)
        #[arg(short = 'd', long)]
        differential: bool,
        /// Jacobians: numerator layout ∂vec(F)/∂vec(X)ᵀ (a row per entry of F, vec stacking columns;
        /// the default) or denominator layout ∂vec(F)ᵀ/∂vec(X), its transpose (a row per entry of X).
        /// A gradient has the shape of X in both. With respect to a symmetric S the columns are its
        /// n(n+1)/2 free entries vech(S): ∂vec(F)/∂vech(S)ᵀ = J D(n), D(n) the duplication matrix
        #[arg(long, value_enum, default_value = "numerator", value_name = "LAYOUT")]
        layout: LayoutArg,
        /// NumPy: one function returning (value, derivative, ...) from one forward pass, with the
        /// arguments' shapes checked
        #[arg(long)]
        with_value: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Print the program's value simplified, with grad/jacobian/hessian evaluated
    #[command(after_help = SIMPLIFY_EXAMPLES)]
    Simplify {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        output: Output,
    },
    /// Print the inferred kind and shape of every name
    #[command(after_help = TYPES_EXAMPLES)]
    Types {
        #[command(flatten)]
        input: Input,
    },
    /// Compare the symbolic derivative with finite differences at random points
    #[command(after_help = CHECK_EXAMPLES)]
    Check {
        #[command(flatten)]
        input: Input,
        /// The variable to differentiate with respect to
        #[arg(long, value_name = "X")]
        wrt: String,
        /// Random points to compare at (1 to 1000)
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
        points: u64,
        /// Seed of the random points
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Evaluate the value of --of NAME instead of the program's value
        #[arg(long, value_name = "NAME")]
        of: Option<String>,
    },
    /// Check a hand-derived derivative: exit 0 if it is right, 1 (and why) if not
    Verify {
        #[command(flatten)]
        input: Input,
        /// The variable to differentiate with respect to
        #[arg(long, value_name = "X")]
        wrt: String,
        /// The claimed derivative, an expression over the program's names, optionally after
        /// definitions of its parts (`t1 = h - y; W^T t1`), as matcalc prints large results;
        /// `0` is the zero of any shape
        #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
        claim: String,
        /// Differentiate the definition NAME instead of the program's value
        #[arg(long, value_name = "NAME")]
        of: Option<String>,
    },
    /// Start the interactive session (also what bare `matcalc` does)
    Repl,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(
        after_help = "Install, e.g.:\n  matcalc completions bash > ~/.local/share/bash-completion/completions/matcalc\n  matcalc completions zsh > ~/.zfunc/_matcalc\n  matcalc completions fish > ~/.config/fish/completions/matcalc.fish"
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from these options
    #[command(
        after_help = "Install, e.g.:\n  mkdir -p ~/.local/share/man/man1 && matcalc man > ~/.local/share/man/man1/matcalc.1"
    )]
    Man,
}

#[derive(Args)]
struct Input {
    /// The program text, or `-` to read standard input
    #[arg(value_name = "PROGRAM", required_unless_present = "file", allow_hyphen_values = true)]
    program: Option<String>,
    /// Read the program from FILE
    #[arg(short = 'f', long = "file", value_name = "FILE", conflicts_with = "program")]
    file: Option<String>,
}

#[derive(Args)]
struct Output {
    /// Output format
    #[arg(short = 'F', long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Differentiate or print the definition NAME instead of the program's value
    #[arg(long, value_name = "NAME")]
    of: Option<String>,
    /// Line width for text, unicode and latex output [default: 100; latex 80, an article's text
    /// width] (latex counts printed symbols of 4.3 pt, estimated from the fonts, not source
    /// characters)
    #[arg(long)]
    width: Option<usize>,
    /// LaTeX transpose mark: `top` writes W^\top, `T` writes W^T
    #[arg(long, value_enum, default_value_t = TransposeArg::Top)]
    transpose: TransposeArg,
    /// LaTeX and TikZ: print a complete document that compiles with pdflatex (amsmath; tikz
    /// for the graph)
    #[arg(long)]
    standalone: bool,
    /// Print the rules applied first, one per line (`rule: before => after`)
    #[arg(long)]
    trace: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum TransposeArg {
    /// `W^\top`
    Top,
    /// `W^T`
    #[value(name = "T")]
    T,
}

/// LaTeX's default line width in printed symbols of 4.3 pt: an `article`'s
/// text width (345 pt at 10 pt).
const LATEX_WIDTH: usize = 80;

impl Output {
    /// The line width: `--width`, or the format's default.
    fn width(&self) -> usize {
        self.width.unwrap_or(match self.format {
            FormatArg::Latex => LATEX_WIDTH,
            _ => 100,
        })
    }

    /// `text` as a complete pdflatex document when `--standalone` is given.
    fn document(&self, text: String) -> String {
        if !self.standalone {
            return text;
        }
        let tikz = matches!(self.format, FormatArg::Tikz);
        let mut out = String::from("\\documentclass{article}\n\\usepackage{amsmath}\n");
        if tikz {
            out.push_str("\\usepackage{tikz}\n");
        }
        out.push_str("\\begin{document}\n");
        if tikz {
            out.push_str(&format!("{text}\n"));
        } else {
            out.push_str(&format!("\\[\n{text}\n\\]\n"));
        }
        out.push_str("\\end{document}");
        out
    }

    fn latex(&self) -> Latex {
        Latex { plain_t: matches!(self.transpose, TransposeArg::T) }
    }
}

/// `--layout`: which way round a Jacobian is written.
#[derive(Clone, Copy, ValueEnum)]
enum LayoutArg {
    /// ∂vec(F)/∂vec(X)ᵀ: a row per entry of F (the default)
    Numerator,
    /// ∂vec(F)ᵀ/∂vec(X): a row per entry of X, the transpose
    Denominator,
}

impl From<LayoutArg> for matcalc::Layout {
    fn from(l: LayoutArg) -> matcalc::Layout {
        match l {
            LayoutArg::Numerator => matcalc::Layout::Numerator,
            LayoutArg::Denominator => matcalc::Layout::Denominator,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// The input language (parses back)
    Text,
    /// Text with Unicode symbols (Wᵀ, ⊙, ‖r‖²)
    Unicode,
    /// A Python function using NumPy
    Numpy,
    /// The NumPy function in jax.numpy (jit-compatible)
    Jax,
    /// The NumPy function in PyTorch (tensors in, tensor out)
    Torch,
    /// LaTeX (bold vectors and matrices, \top, \odot, \frac); diff prints the equation \nabla_{W} L = ...
    Latex,
    /// The computational graph of the value, for Graphviz
    Dot,
    /// The computational graph of the value, as a TikZ picture
    Tikz,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Unicode => Format::Unicode,
            FormatArg::Numpy => Format::Numpy,
            FormatArg::Jax => Format::Jax,
            FormatArg::Torch => Format::Torch,
            FormatArg::Latex => Format::Latex,
            FormatArg::Dot => Format::Dot,
            FormatArg::Tikz => Format::Tikz,
        }
    }
}

/// Records a failure to write standard output (other than a closed pipe,
/// which is quietly ignored), making the exit status 1.
fn note_write_error(e: &std::io::Error) {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        crate::OUTPUT_FAILED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Standard output for the piped REPL: a failed write is remembered (exit
/// status 1), a closed pipe drops the rest of the output quietly.
struct TrackedStdout;

impl Write for TrackedStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::io::stdout().write(buf) {
            Ok(n) => Ok(n),
            Err(e) => {
                note_write_error(&e);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Err(e) = std::io::stdout().flush() {
            note_write_error(&e);
        }
        Ok(())
    }
}

/// The allocator. matcalc's graphs are many small nodes; with mimalloc the
/// 4096-layer residual gradient takes 918M instructions instead of 1,112M
/// with glibc's malloc (callgrind, whole process), 30 % less wall time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Deep expressions recurse; give the work a large stack.
    let child = std::thread::Builder::new().stack_size(256 << 20).spawn(run);
    let outcome = child.map(|handle| handle.join());
    if let Err(e) = std::io::stdout().flush() {
        note_write_error(&e);
    }
    match outcome {
        Ok(Ok(_)) if OUTPUT_FAILED.load(std::sync::atomic::Ordering::Relaxed) => {
            eprintln!("error: could not write the output (is the disk full?)");
            ExitCode::from(1)
        }
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: internal error (please report this input)");
            ExitCode::from(1)
        }
    }
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` print to standard output: a failure
            // to write them is a failure.
            let printed = e.print().and_then(|()| std::io::stdout().flush());
            if let Err(write_error) = printed {
                note_write_error(&write_error);
            }
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let Some(command) = cli.command else {
        return repl();
    };
    if let Command::Diff { output, .. } | Command::Simplify { output, .. } = &command {
        if output.standalone && !matches!(output.format, FormatArg::Latex | FormatArg::Tikz) {
            eprintln!("error: --standalone makes a LaTeX document: use it with --format latex or tikz");
            return ExitCode::from(2);
        }
    }
    match command {
        Command::Diff { with_value: true, output, steps, .. }
            if steps || !matches!(output.format, FormatArg::Numpy | FormatArg::Jax | FormatArg::Torch) =>
        {
            eprintln!(
                "error: --with-value makes one function: use it with --format numpy, jax or torch, without --steps"
            );
            ExitCode::from(2)
        }
        Command::Diff { differential: true, output, .. }
            if !matches!(output.format, FormatArg::Text | FormatArg::Unicode | FormatArg::Latex) =>
        {
            eprintln!("error: --differential prints text, unicode or latex");
            ExitCode::from(2)
        }
        Command::Diff { input, wrt, steps, bare, output, .. }
            if steps && !matches!(output.format, FormatArg::Text | FormatArg::Unicode | FormatArg::Latex) =>
        {
            let _ = (input, wrt, bare);
            eprintln!("error: --steps prints text, unicode or latex; drop --steps for the graph in dot or tikz");
            ExitCode::from(2)
        }
        Command::Diff { input, wrt, steps, bare, with_value, differential, layout, output } => {
            let variables: Vec<String> =
                wrt.split(',').map(str::trim).filter(|w| !w.is_empty()).map(str::to_string).collect();
            if variables.is_empty() {
                eprintln!("error: --wrt needs a variable name, or several separated by commas (--wrt W1,b1)");
                return ExitCode::from(2);
            }
            if variables.len() > 1 && matches!(output.format, FormatArg::Dot | FormatArg::Tikz) {
                eprintln!("error: --format dot and tikz mark one variable; give one --wrt");
                return ExitCode::from(2);
            }
            if with_value {
                let variables: Vec<&str> = variables.iter().map(String::as_str).collect();
                let of = output.of.as_deref();
                let library = Format::from(output.format).python_library().unwrap_or_default();
                return with_program(&input, |analysis| {
                    Ok(analysis.python_value_and_derivatives_in(of, &variables, library, layout.into())?.source)
                });
            }
            if differential {
                return with_program(&input, |analysis| {
                    Ok(output.document(differentials(analysis, &variables, steps, &output)?))
                });
            }
            let layout = layout.into();
            with_program(&input, |analysis| {
                Ok(output.document(diff(analysis, &variables, steps, bare, layout, &output)?))
            })
        }
        Command::Simplify { input, output } => with_program(&input, |analysis| {
            let (value, trace) = analysis.simplified_traced(output.of.as_deref())?;
            let trace = if output.trace { analysis.trace_lines(&trace) } else { Vec::new() };
            Ok(output.document(
                trace.into_iter().map(|l| l + "\n").collect::<String>()
                    + &match Format::from(output.format) {
                        format @ (Format::Numpy | Format::Jax | Format::Torch) => {
                            let library = format.python_library().unwrap_or_default();
                            analysis.python_function(value, "value", library).source
                        }
                        Format::Latex => analysis.latex(value, &output.latex(), None, output.width()),
                        Format::Dot => analysis.dot(output.of.as_deref(), None)?,
                        Format::Tikz => analysis.tikz(output.of.as_deref(), None, &output.latex())?,
                        format => analysis.print_width(value, format, output.width()),
                    },
            ))
        }),
        Command::Types { input } => with_program(&input, |analysis| Ok(analysis.types().trim_end().to_string())),
        Command::Check { input, wrt, points, seed, of } => {
            checking::check(&input, &wrt, points as usize, seed, of.as_deref())
        }
        Command::Verify { input, wrt, claim, of } => checking::verify(&input, &wrt, &claim, of.as_deref()),
        Command::Repl => repl(),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "matcalc", &mut out);
            write_bytes(&out)
        }
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => write_bytes(&out),
                Err(e) => {
                    eprintln!("error: cannot render the manual page: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

/// `matcalc diff`: the derivative with respect to each of `variables`, one
/// after another (LaTeX: one `aligned` block; NumPy: one function each).
fn diff(
    analysis: &mut Analysis,
    variables: &[String],
    steps: bool,
    bare: bool,
    layout: matcalc::Layout,
    output: &Output,
) -> Result<String, Error> {
    let of = output.of.as_deref();
    let format = Format::from(output.format);
    let several = variables.len() > 1;
    let mut parts: Vec<String> = Vec::new();
    for wrt in variables {
        let part = if steps {
            analysis.steps_with(of, wrt, format, &output.latex(), output.width())?
        } else {
            match format {
                Format::Dot => analysis.dot(of, Some(wrt))?,
                Format::Tikz => analysis.tikz(of, Some(wrt), &output.latex())?,
                _ => {
                    let (derivative, trace) = analysis.derivative_traced_in(of, wrt, layout)?;
                    let trace = if output.trace { analysis.trace_lines(&trace) } else { Vec::new() };
                    trace.into_iter().map(|l| l + "\n").collect::<String>()
                        + &match format {
                            Format::Latex => {
                                let lhs = if bare && !several {
                                    None
                                } else {
                                    Some(analysis.derivative_lhs(&derivative, of))
                                };
                                analysis.latex(derivative.result, &output.latex(), lhs.as_deref(), output.width())
                            }
                            Format::Numpy | Format::Jax | Format::Torch => {
                                let library = format.python_library().unwrap_or_default();
                                let name = matcalc::print::numpy::derivative_function_name(
                                    analysis.graph(),
                                    derivative.wrt,
                                    derivative.kind == DerivativeKind::Jacobian,
                                );
                                analysis.python_function(derivative.result, &name, library).source
                            }
                            format => {
                                let text = analysis.print_width(derivative.result, format, output.width());
                                if several {
                                    let value = analysis.value_name(of);
                                    let header = match format {
                                        Format::Unicode => format!("# ∂{value}/∂{wrt}"),
                                        _ => format!("# d{value}/d{wrt}"),
                                    };
                                    format!("{header}\n{text}")
                                } else {
                                    text
                                }
                            }
                        }
                }
            }
        };
        parts.push(part);
    }
    Ok(match (format, steps) {
        (Format::Latex, false) if several => matcalc::print::latex::system(&parts),
        (format, false) if format.python_library().is_some() => matcalc::print::numpy::join_sources(&parts),
        _ => parts.join("\n\n"),
    })
}

/// `matcalc diff --differential`: the differential with respect to each of
/// `variables`, one equation after another (LaTeX: one `aligned` block);
/// with `steps`, the derivation of each gradient from its differential.
fn differentials(analysis: &mut Analysis, variables: &[String], steps: bool, output: &Output) -> Result<String, Error> {
    let of = output.of.as_deref();
    let format = Format::from(output.format);
    let mut parts = Vec::new();
    if steps {
        for wrt in variables {
            parts.push(analysis.differential_steps(of, wrt, format, &output.latex(), output.width())?);
        }
        return Ok(parts.join("\n\n"));
    }
    for wrt in variables {
        let differential = analysis.differential(of, wrt)?;
        parts.push(analysis.print_differential(&differential, of, format, &output.latex(), output.width())?);
    }
    Ok(match format {
        Format::Latex if parts.len() > 1 => matcalc::print::latex::system(&parts),
        _ => parts.join("\n"),
    })
}

/// Writes generated bytes to standard output (a failed write is exit 1).
fn write_bytes(bytes: &[u8]) -> ExitCode {
    use std::io::Write as _;
    let mut stdout = std::io::stdout();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: could not write the output: {e}");
            ExitCode::from(1)
        }
    }
}

/// The interactive session on a terminal; statements from standard input
/// otherwise.
fn repl() -> ExitCode {
    if std::io::stdin().is_terminal() {
        return ExitCode::from(matcalc_cli::repl::run_terminal().clamp(0, 255) as u8);
    }
    let mut input = matcalc::input::LineLimit::new(std::io::stdin().lock());
    let ok = matcalc_cli::repl::run_script(&mut input, &mut TrackedStdout, &mut std::io::stderr());
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The program text, or why there is none: a command-line problem
/// (exit status 2) or an error in the input itself (status 1).
enum ReadFailure {
    /// Nothing readable (no such file, a directory, a read error).
    Unreadable(String),
    /// The input is too large or not UTF-8: rendered against its text.
    Program(Box<Error>, String),
}

fn read_program(input: &Input) -> Result<String, ReadFailure> {
    let read = |reader: &mut dyn std::io::Read, what: &str| {
        matcalc::input::read_source(reader).map_err(|e| match e {
            matcalc::input::ReadError::Io(e) => ReadFailure::Unreadable(format!("cannot read {what}: {e}")),
            matcalc::input::ReadError::Program { error, text } => ReadFailure::Program(error, text),
        })
    };
    match (&input.file, &input.program) {
        (Some(path), _) => {
            let mut file =
                std::fs::File::open(path).map_err(|e| ReadFailure::Unreadable(format!("cannot read {path}: {e}")))?;
            read(&mut file, path)
        }
        (None, Some(p)) if p == "-" => read(&mut std::io::stdin().lock(), "standard input"),
        (None, Some(p)) => Ok(p.clone()),
        (None, None) => Err(ReadFailure::Unreadable("no program given".to_string())),
    }
}

/// The program text, or the exit status after reporting why there is none.
fn program_text(input: &Input) -> Result<String, ExitCode> {
    match read_program(input) {
        Ok(source) => Ok(source),
        Err(ReadFailure::Unreadable(message)) => {
            eprintln!("error: {message}");
            Err(ExitCode::from(2))
        }
        Err(ReadFailure::Program(error, text)) => {
            eprint!("{}", error.render(&text));
            Err(ExitCode::from(1))
        }
    }
}

/// Analyses `source`, printing its notes (assumptions that change the
/// answer, likely slips) on standard error.
fn analyze_noted(source: &str) -> Result<Analysis, Error> {
    let analysis = analyze(source)?;
    for note in &analysis.lowered.notes {
        eprint!("{}", note.render(source));
    }
    Ok(analysis)
}

fn with_program(input: &Input, f: impl FnOnce(&mut Analysis) -> Result<String, Error>) -> ExitCode {
    let source = match program_text(input) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let result = analyze_noted(&source).and_then(|mut analysis| {
        let text = f(&mut analysis);
        // The process ends next and returns the memory at once: freeing a deep
        // program's graph node by node took 3 % of the whole run.
        std::mem::forget(analysis);
        text
    });
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{}", e.render(&source));
            ExitCode::from(1)
        }
    }
}
