//! Compiling a rule: its patterns are programs in matcalc's syntax whose
//! `?name` metavariables become declared variables, parsed by
//! [`crate::syntax`] and lowered by [`crate::lower`] (so each side is in
//! the constructors' canonical form, as the terms it will meet are), once
//! for each declared shape of the metavariables. Loading checks that both
//! sides have one shape, that the right side uses only the left side's
//! metavariables, and that the left side is not already rewritten by the
//! constructors.

use crate::ir::{ExprId, Graph, Node, Role, SymbolId};
use crate::shape::Shape;

use super::funcs::FuncSet;
use super::{Body, Rule};

/// The prefix a metavariable `?z` is spelled with in the lowered program.
const META_PREFIX: &str = "__meta_";

/// A metavariable of one compiled variant.
#[derive(Clone, Debug)]
pub struct Meta {
    /// Its name without the `?`.
    pub name: String,
    /// Its symbol in the variant's graph.
    pub symbol: SymbolId,
    /// Its declared shape (dimensions of the variant's graph).
    pub shape: Shape,
}

/// A rule's two sides lowered at one declaration of its metavariables.
#[derive(Clone, Debug)]
pub struct Variant {
    /// The graph both sides live in.
    pub graph: Graph,
    /// The left side.
    pub lhs: ExprId,
    /// The right side.
    pub rhs: ExprId,
    /// The metavariables.
    pub metas: Vec<Meta>,
}

impl Variant {
    /// The index of the metavariable with `symbol`, if it is one.
    pub fn meta_of(&self, symbol: SymbolId) -> Option<usize> {
        self.metas.iter().position(|m| m.symbol == symbol)
    }

    /// The index of the metavariable named `name`.
    pub fn meta_named(&self, name: &str) -> Option<usize> {
        self.metas.iter().position(|m| m.name == name)
    }
}

/// A condition on a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// No condition.
    None,
    /// The metavariable [`CompiledRule::guard_var`] is 1×1.
    Scalar,
    /// The metavariable is an exact constant.
    Constant,
}

/// A rule ready to match: its variants, or its native function.
#[derive(Debug)]
pub struct CompiledRule {
    /// The rule as written in the table.
    pub rule: Rule,
    /// The pattern's variants, one per declaration in `rule.shapes`.
    pub variants: Vec<Variant>,
    /// The guard's condition.
    pub guard: Guard,
    /// The metavariable the guard is about.
    pub guard_var: String,
    /// The functions every variant's left side applies: a term without
    /// all of them cannot match (none for a native rule).
    pub needs: FuncSet,
}

impl CompiledRule {
    /// Compiles and checks `rule`.
    pub fn compile(rule: &Rule) -> Result<CompiledRule, String> {
        let (guard, guard_var) = parse_guard(rule.guard)?;
        let mut variants = Vec::new();
        if let Body::Pattern { lhs, rhs } = rule.body {
            if rule.shapes.is_empty() {
                return Err("a pattern rule needs at least one declaration of its metavariables".into());
            }
            for shapes in rule.shapes {
                variants.push(compile_variant(lhs, rhs, shapes).map_err(|e| format!("at `{shapes}`: {e}"))?);
            }
            if guard != Guard::None && variants.iter().any(|v| v.meta_named(&guard_var).is_none()) {
                return Err(format!("the guard is about `?{guard_var}`, which the pattern does not have"));
            }
        }
        let needs = variants
            .iter()
            .map(|v| FuncSet::applied_under(&v.graph, v.lhs))
            .reduce(FuncSet::intersection)
            .unwrap_or_default();
        Ok(CompiledRule { rule: *rule, variants, guard, guard_var, needs })
    }
}

/// `?z` written as the program name the lowering sees.
pub fn spell_metas(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    for c in pattern.chars() {
        if c == '?' {
            out.push_str(META_PREFIX);
        } else {
            out.push(c);
        }
    }
    out
}

/// The metavariable names (without `?`) a pattern or declaration mentions, in order.
pub fn meta_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('?') {
        let tail = &rest[at + 1..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        let name = tail[..end].to_string();
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &tail[end..];
    }
    names
}

fn parse_guard(guard: &str) -> Result<(Guard, String), String> {
    let guard = guard.trim();
    if guard.is_empty() {
        return Ok((Guard::None, String::new()));
    }
    let words: Vec<&str> = guard.split_whitespace().collect();
    match words[..] {
        [var, "is", what] if var.starts_with('?') => {
            let kind = match what {
                "scalar" => Guard::Scalar,
                "constant" => Guard::Constant,
                _ => return Err(format!("unknown guard `{guard}` (write `?c is scalar` or `?c is constant`)")),
            };
            Ok((kind, var[1..].to_string()))
        }
        _ => Err(format!("unknown guard `{guard}` (write `?c is scalar` or `?c is constant`)")),
    }
}

fn compile_variant(lhs: &str, rhs: &str, shapes: &str) -> Result<Variant, String> {
    let declared = meta_names(shapes);
    let lhs_metas = meta_names(lhs);
    for name in lhs_metas.iter().chain(meta_names(rhs).iter()) {
        if !declared.contains(name) {
            return Err(format!("`?{name}` has no declared shape"));
        }
        if !lhs_metas.contains(name) {
            return Err(format!("`?{name}` is on the right side only"));
        }
    }
    let program = format!("{}\n__lhs = {}\n__rhs = {}", spell_metas(shapes), spell_metas(lhs), spell_metas(rhs));
    let analysis = crate::analyze(&program).map_err(|e| e.render(&program).replace(META_PREFIX, "?"))?;
    let graph = analysis.lowered.graph;
    let side = |name: &str| graph.find_symbol(name).and_then(|s| graph.definition_value(s));
    let (Some(lhs_id), Some(rhs_id)) = (side("__lhs"), side("__rhs")) else {
        return Err("the sides did not lower".into());
    };
    if graph.shape(lhs_id) != graph.shape(rhs_id) {
        return Err("the two sides have different shapes".into());
    }
    if lhs_id == rhs_id {
        return Err("the constructors already make the two sides one".into());
    }
    let mut metas = Vec::new();
    for (sid, symbol) in graph.symbols() {
        if let Some(name) = symbol.name.strip_prefix(META_PREFIX) {
            metas.push(Meta { name: name.to_string(), symbol: sid, shape: symbol.shape });
        }
    }
    let variant = Variant { graph, lhs: lhs_id, rhs: rhs_id, metas };
    if matches!(variant.graph.node(lhs_id), Node::Var(_)) {
        return Err("the left side is a bare metavariable".into());
    }
    for side in [lhs_id, rhs_id] {
        for id in variant.graph.reachable_without_definitions(side) {
            match variant.graph.node(id) {
                Node::Var(s) if variant.meta_of(*s).is_none() => {
                    return Err(format!("`{}` is not a metavariable", variant.graph.symbol(*s).name));
                }
                Node::Var(s) if !matches!(variant.graph.symbol(*s).role, Role::Input { .. }) => {
                    return Err("a metavariable cannot be a definition".into());
                }
                Node::Opaque(..) | Node::Upstream { .. } => {
                    return Err("patterns cannot hold opaque functions".into());
                }
                _ => {}
            }
        }
    }
    Ok(variant)
}
