//! The array libraries generated Python is written for. NumPy is the form the
//! emitter writes; JAX is that source with `jax.numpy` as `jnp` for `np`
//! (every call the emitter writes has a `jax.numpy` namesake with the same
//! meaning); PyTorch is the NumPy call's namesake under `torch.` except
//! where the emitter writes PyTorch's own spelling: `x.ndim` and `x.shape`
//! for `np.ndim(x)` and `np.shape(x)`, `dim=` for `axis=`, `torch.relu`, the
//! step as `torch.sign(torch.relu(t))`, softplus as `torch.logaddexp` with a
//! zero tensor, `torch.eye`, `torch.ones` and `torch.zeros` with `dtype=` and
//! `device=`, `torch.as_tensor` for a number returned, raised to a power or
//! passed to a function. Here too: each function's call and the helpers.

use crate::ir::{ExprId, Func, Node};
use crate::ops::{pieces, Piece};
use crate::shape::Shape;

use super::Emitter;

/// The library generated Python calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Library {
    /// NumPy (`import numpy as np`).
    #[default]
    Numpy,
    /// JAX (`import jax.numpy as jnp`): branches on shapes alone, never on
    /// values, so `jax.jit` compiles it (sizes and opaque functions static).
    Jax,
    /// PyTorch (`import torch`): tensors in (a scalar as a 0-d tensor),
    /// tensors out, constants in the first tensor argument's dtype and device.
    Torch,
}

impl Library {
    /// The import line the source opens with.
    pub fn import(self) -> &'static str {
        match self {
            Library::Numpy => "import numpy as np",
            Library::Jax => "import jax.numpy as jnp",
            Library::Torch => "import torch",
        }
    }

    /// The source written as NumPy by the emitter, for this library.
    pub(super) fn finish(self, numpy: &str) -> String {
        match self {
            Library::Numpy => numpy.to_string(),
            Library::Jax => renamed(numpy, "jnp"),
            Library::Torch => renamed(numpy, "torch"),
        }
    }
}

/// `numpy` (the emitter's NumPy source, opening with its import) with the
/// import of `module` and every call `np.f` written `module.f`.
pub(super) fn renamed(numpy: &str, module: &str) -> String {
    let import = match module {
        "jnp" => Library::Jax.import(),
        "torch" => Library::Torch.import(),
        _ => Library::Numpy.import(),
    };
    let body = numpy.strip_prefix(Library::Numpy.import()).map(|rest| format!("{import}{rest}"));
    let body = body.unwrap_or_else(|| numpy.to_string());
    let mut out = String::with_capacity(body.len() + body.len() / 8);
    let mut previous: Option<char> = None;
    let mut rest = body.as_str();
    while let Some(c) = rest.chars().next() {
        let starts_call = rest.starts_with("np.") && !previous.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_');
        if starts_call {
            out.push_str(module);
            out.push('.');
            rest = &rest[3..];
            previous = Some('.');
            continue;
        }
        out.push(c);
        previous = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The helper functions' sources (in NumPy, renamed for the library
/// afterwards), with their Python names. NumPy has no erf: its helper maps
/// the standard library's `math.erf` over the entries; JAX's is
/// `jax.scipy.special.erf` (traceable under `jax.jit`).
pub(super) fn helper_source(helper: &str, name: &str, library: Library) -> String {
    match helper {
        "erf" if library == Library::Jax => {
            format!("    def {name}(t):\n        from jax.scipy.special import erf\n        return erf(t)\n\n")
        }
        "erf" => format!(
            "    def {name}(t):\n        import math\n        return np.vectorize(math.erf, otypes=[float])(t)\n\n"
        ),
        "commutation" => {
            format!("    def {name}(eye, m, n):\n        return eye[np.arange(m * n).reshape(n, m).T.reshape(-1)]\n\n")
        }
        "duplication" => format!(
            "    def {name}(eye, n):\n        pairs = [(i, j) for j in range(n) for i in range(j, n)]\n        \
             return np.maximum(eye[:, [i + j * n for i, j in pairs]], eye[:, [j + i * n for i, j in pairs]])\n\n"
        ),
        "sigmoid" => format!("    def {name}(t):\n        return 0.5 * (1.0 + np.tanh(0.5 * t))\n\n"),
        "softmax" => format!("    def {name}(t):\n        e = np.exp(t - np.max(t))\n        return e / np.sum(e)\n\n"),
        "logsumexp" => format!(
            "    def {name}(t):\n        top = np.max(t)\n        return top + np.log(np.sum(np.exp(t - top)))\n\n"
        ),
        _ => String::new(),
    }
}

impl Emitter<'_> {
    /// `, dtype=X.dtype, device=X.device` for a PyTorch constant, from the
    /// first tensor argument (a free variable, then an upstream gradient;
    /// a matrix or vector before a scalar; float64 without one); nothing for
    /// NumPy and JAX.
    pub(super) fn like(&self) -> String {
        if self.library != Library::Torch {
            return String::new();
        }
        let tensors = self.array_arguments();
        let first = tensors.iter().find(|(_, shape)| !shape.is_scalar()).or(tensors.first());
        match first {
            Some((name, _)) => format!(", dtype={name}.dtype, device={name}.device"),
            None => ", dtype=torch.float64".to_string(),
        }
    }

    /// [`Emitter::expr`] for a function's argument: for PyTorch, whose
    /// functions take tensors, a number as a tensor.
    pub(super) fn argument(&mut self, id: ExprId, prec: u8) -> String {
        match self.graph.node(id) {
            Node::Const(_) if self.library == Library::Torch => {
                format!("torch.as_tensor({}{})", self.expr(id, 0), self.like())
            }
            _ => self.expr(id, prec),
        }
    }

    /// The template of `f`'s call for this library.
    pub(super) fn template(&self, f: Func) -> &'static str {
        let notation = crate::ops::notation(f);
        match (self.library, notation.torch) {
            (Library::Torch, Some(torch)) => torch,
            _ => notation.numpy,
        }
    }

    /// The call of `f` on the source `arg`, from the template of its entry.
    pub(super) fn function(&mut self, f: Func, arg: String, _shape: Shape) -> String {
        let template = self.template(f);
        let mut out = String::with_capacity(template.len() + arg.len());
        for piece in pieces(template) {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Argument => out.push_str(&arg),
                Piece::Like => out.push_str(&self.like()),
                Piece::Helper(helper) => out.push_str(&self.helper(helper)),
            }
        }
        out
    }

    /// The keyword naming a reduction's axis: `axis`, or PyTorch's `dim`.
    pub(super) fn axis_keyword(&self) -> &'static str {
        if self.library == Library::Torch {
            "dim"
        } else {
            "axis"
        }
    }

    /// The Python name of the helper function `helper`, defined once.
    pub(super) fn helper(&mut self, helper: &'static str) -> String {
        if let Some(name) = self.helpers.get(helper) {
            return name.clone();
        }
        let name = self.names.fresh(&format!("_{helper}"));
        self.helpers.insert(helper, name.clone());
        name
    }
}
