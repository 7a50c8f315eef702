//! The help texts: `:help` and `:help COMMAND`.

/// The help of one command.
#[derive(Clone, Copy, Debug)]
pub struct CommandHelp {
    /// The command, with its colon.
    pub name: &'static str,
    /// How it is written.
    pub usage: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// More on it, with examples.
    pub details: &'static str,
}

/// Every command's help, in the order `:help` lists them.
pub const COMMAND_HELP: &[CommandHelp] = &[
    CommandHelp {
        name: ":diff",
        usage: ":diff EXPR wrt X",
        summary: "gradient (scalar EXPR) or Jacobian (vector EXPR) with respect to X",
        details: "Printed in the session's format (see :format).\n\
                  Examples:\n  :diff 1/2 * norm2(W x - y) wrt W\n  :diff L wrt W1          (L a definition)",
    },
    CommandHelp {
        name: ":check",
        usage: ":check EXPR wrt X",
        summary: "compare that derivative with finite differences at random points",
        details: "Evaluates the symbolic derivative and central finite differences at 5 random points.\n\
                  Example:\n  :check sum(log(sigmoid(W x))) wrt W",
    },
    CommandHelp {
        name: ":verify",
        usage: ":verify EXPR wrt X claim CLAIM",
        summary: "check a hand-derived derivative CLAIM of EXPR with respect to X",
        details: "CLAIM is an expression over the session's names, optionally after definitions of its\n\
                  parts separated by `;` (t1 = W x - y; 2 t1 x^T). Says `correct` (symbolically equal, or\n\
                  equal at random points) or `wrong`, with matcalc's answer.\n\
                  Example:\n  :verify x^T A x wrt x claim (A + A^T) x",
    },
    CommandHelp {
        name: ":steps",
        usage: ":steps EXPR wrt X",
        summary: "the derivation step by step, one line per node of the graph",
        details: "A definition's name is the function's name in the steps (∂L/∂W for :steps L wrt W;\n\
                  an unnamed expression is called f).\n\
                  Example:\n  :steps L wrt W",
    },
    CommandHelp {
        name: ":latex",
        usage: ":latex EXPR [wrt X]",
        summary: "EXPR simplified, or its derivative with respect to X, in LaTeX",
        details: "A definition prints as the equation `L = ...`; with `wrt X`, the derivative prints as\n\
                  `\\nabla_{\\mathbf{X}} L = ...` (a Jacobian as a fraction).\n\
                  Examples:\n  :latex L\n  :latex L wrt W",
    },
    CommandHelp {
        name: ":graph",
        usage: ":graph EXPR [wrt X] [> FILE]",
        summary: "the computational graph of EXPR (Graphviz dot), X marked as the parameter",
        details: "With `> FILE` the graph is written to FILE: TikZ if FILE ends in .tex or .tikz, else dot.\n\
                  Examples:\n  :graph L wrt W\n  :graph L wrt W > loss.dot      (then: dot -Tpdf loss.dot > loss.pdf)\n  \
                  :graph L wrt W > loss.tex      (a tikzpicture)",
    },
    CommandHelp {
        name: ":types",
        usage: ":types",
        summary: "the inferred kind and shape of every name",
        details: "Names whose kind came from their spelling or their use are marked (inferred).",
    },
    CommandHelp {
        name: ":format",
        usage: ":format [F]",
        summary: "print results as text, unicode (the default), latex, numpy, jax or torch",
        details: "Without F, says the current format. text parses back as input; numpy prints a Python\n\
                  function, jax the same in jax.numpy, torch in PyTorch.",
    },
    CommandHelp {
        name: ":load",
        usage: ":load FILE",
        summary: "run the statements of a program file",
        details: "All or nothing: if a statement of FILE fails, the session is as it was.",
    },
    CommandHelp {
        name: ":save",
        usage: ":save FILE",
        summary: "write the declarations and definitions as a program file",
        details: "The file is a program that `matcalc diff -f FILE --wrt X` and :load read back.",
    },
    CommandHelp {
        name: ":reset",
        usage: ":reset",
        summary: "forget every name",
        details: "The output format and the history of typed lines stay.",
    },
    CommandHelp {
        name: ":help",
        usage: ":help [COMMAND]",
        summary: "this text, or more on one command",
        details: "Examples:\n  :help\n  :help graph",
    },
    CommandHelp {
        name: ":quit",
        usage: ":quit",
        summary: "leave (also `quit`, `exit`, Ctrl-D)",
        details: "The history of typed lines is saved on the way out.",
    },
];

/// The general help.
pub fn general() -> String {
    let mut out = String::from(
        "\
Type statements as in a matcalc program; they persist for the session:
  W: matrix(m, n)              declare (x: vector(n), k: scalar, S: symmetric(n), f: function)
  z = W x + b                  define a named intermediate (a new definition of z replaces it)
  1/2 * norm2(W^T W x - x)     an expression: prints its simplified value
  grad(e, X), jacobian(e, x), hessian(e, x) are expressions too.
Several statements may share a line, separated by `;`. An open bracket
continues a statement on the next line. norm2(r) is the SQUARED norm.
A command is one line; EXPR may use every name of the session.

Commands (`:help COMMAND` says more):
",
    );
    let column = COMMAND_HELP.iter().map(|c| c.usage.chars().count()).max().unwrap_or(0) + 2;
    for command in COMMAND_HELP {
        out.push_str(&format!("  {:column$}{}\n", command.usage, command.summary));
    }
    out.push_str("`quit`, `exit` and `help` alone work too. Ctrl-C cancels the current line or computation.");
    out
}

/// The help of `command` (with or without its colon).
pub fn command(command: &str) -> Option<String> {
    let name = if command.starts_with(':') { command.to_string() } else { format!(":{command}") };
    let help = COMMAND_HELP.iter().find(|c| c.name == name || aliases(c.name).contains(&name.as_str()))?;
    Some(format!("{}\n  {}\n{}", help.usage, help.summary, help.details))
}

/// Other spellings of a command.
pub fn aliases(name: &str) -> &'static [&'static str] {
    match name {
        ":help" => &[":h", ":?"],
        ":quit" => &[":q", ":exit"],
        _ => &[],
    }
}
