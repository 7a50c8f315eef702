//! The layout a Jacobian is written in (`diff --layout`). Numerator
//! layout, matcalc's own: J = ∂vec(F)/∂vec(X)ᵀ, a row per entry of F and a
//! column per entry of X, so that vec(dF) = J vec(dX). Denominator layout:
//! its transpose ∂vec(F)ᵀ/∂vec(X), a row per entry of X, so that
//! vec(dF)ᵀ = vec(dX)ᵀ J. A gradient has the variable's shape in both.

use crate::error::Result;
use crate::print::numpy::{Library, PythonFunction};
use crate::{rules, stack, Analysis, Derivative, DerivativeKind};

/// Which way round a Jacobian is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Layout {
    /// ∂vec(F)/∂vec(X)ᵀ: a row per entry of F (matcalc's default).
    #[default]
    Numerator,
    /// ∂vec(F)ᵀ/∂vec(X): a row per entry of X, the numerator layout's transpose.
    Denominator,
}

impl Layout {
    /// The layout named `name`: `numerator` or `denominator`.
    pub fn parse(name: &str) -> Option<Layout> {
        match name {
            "numerator" => Some(Layout::Numerator),
            "denominator" => Some(Layout::Denominator),
            _ => None,
        }
    }

    /// The layout's name, as [`Layout::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Numerator => "numerator",
            Layout::Denominator => "denominator",
        }
    }
}

impl Analysis {
    /// [`Analysis::derivative_traced`] with a Jacobian written in `layout`
    /// (a gradient is the same in both).
    pub fn derivative_traced_in(
        &mut self,
        of: Option<&str>,
        wrt: &str,
        layout: Layout,
    ) -> Result<(Derivative, rules::Trace)> {
        let (mut derivative, trace) = self.derivative_traced(of, wrt)?;
        if layout == Layout::Denominator && derivative.kind == DerivativeKind::Jacobian {
            let deep = self.deep();
            let graph = &mut self.lowered.graph;
            derivative.result = stack::run(deep, || graph.transpose(derivative.result));
            derivative.layout = Layout::Denominator;
        }
        Ok((derivative, trace))
    }

    /// [`Analysis::derivative`] with a Jacobian written in `layout`.
    pub fn derivative_in(&mut self, of: Option<&str>, wrt: &str, layout: Layout) -> Result<Derivative> {
        Ok(self.derivative_traced_in(of, wrt, layout)?.0)
    }

    /// [`Analysis::python_value_and_derivatives`] with the Jacobians in `layout`.
    pub fn python_value_and_derivatives_in(
        &mut self,
        of: Option<&str>,
        wrt: &[&str],
        library: Library,
        layout: Layout,
    ) -> Result<PythonFunction> {
        let value = self.simplified(of)?;
        let mut results = vec![value];
        let mut names = Vec::new();
        for w in wrt {
            let derivative = self.derivative_in(of, w, layout)?;
            let jacobian = derivative.kind == DerivativeKind::Jacobian;
            names.push(crate::print::numpy::derivative_function_name(self.graph(), derivative.wrt, jacobian));
            results.push(derivative.result);
        }
        let function_name = format!("value_and_{}", names.join("_"));
        stack::run(self.deep(), || {
            let graph = &mut self.lowered.graph;
            let value_text = crate::print::bindings::render_shared(graph, value, &crate::print::text::Text, usize::MAX);
            let doc = format!("(value, {}) of {value_text}", names.join(", "));
            Ok(crate::print::numpy::render_value_and_derivatives(graph, &results, &function_name, &doc, library))
        })
    }
}
