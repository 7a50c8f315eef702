//! The answers of `verify` and `check` as Python objects: true when the
//! claim (or the derivative) is right, with the reason in words.

use matcalc::check::Report as CheckReport;
use matcalc::verify::{Report as VerifyReport, Verdict as CoreVerdict};
use pyo3::prelude::*;

/// Whether a claimed derivative is right, and why.
#[pyclass(module = "matcalc", name = "Verdict", frozen)]
pub struct Verdict {
    report: VerifyReport,
}

impl Verdict {
    /// The verdict of `report`.
    pub fn new(report: VerifyReport) -> Verdict {
        Verdict { report }
    }
}

#[pymethods]
impl Verdict {
    /// `True` if the claim is the derivative.
    #[getter]
    fn correct(&self) -> bool {
        self.report.verdict.correct()
    }

    /// How it was decided: `"same form"`, `"agrees"` (at random points),
    /// `"wrong shape"`, `"differs"` or `"undecided"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.report.verdict {
            CoreVerdict::SameForm => "same form",
            CoreVerdict::Agrees(_) => "agrees",
            CoreVerdict::WrongShape { .. } => "wrong shape",
            CoreVerdict::Differs { .. } => "differs",
            CoreVerdict::Undecided(_) => "undecided",
        }
    }

    /// The verdict in words, as `matcalc verify` prints it.
    #[getter]
    fn reason(&self) -> String {
        self.report.reason.clone()
    }

    /// matcalc's own derivative, as text.
    #[getter]
    fn answer(&self) -> String {
        self.report.answer.clone()
    }

    fn __bool__(&self) -> bool {
        self.correct()
    }

    fn __str__(&self) -> String {
        format!("{}\nmatcalc's answer: {}", self.report.reason, self.report.answer)
    }

    fn __repr__(&self) -> String {
        format!("<matcalc.Verdict {}: {}>", if self.correct() { "correct" } else { "not correct" }, self.kind())
    }

    fn _repr_markdown_(&self) -> String {
        format!("**{}**\n\nmatcalc's answer: `{}`", self.report.reason.replace('\n', "  \n"), self.report.answer)
    }
}

/// A symbolic derivative compared with finite differences.
#[pyclass(module = "matcalc", name = "Check", frozen)]
pub struct Check {
    report: CheckReport,
}

impl Check {
    /// The check of `report`.
    pub fn new(report: CheckReport) -> Check {
        Check { report }
    }
}

#[pymethods]
impl Check {
    /// `True` if the derivative agrees with finite differences.
    #[getter]
    fn passed(&self) -> bool {
        self.report.comparison.passed()
    }

    /// The symbolic derivative, as text.
    #[getter]
    fn derivative(&self) -> String {
        self.report.derivative.clone()
    }

    /// The relative error that decides (differences below the rounding
    /// floor of finite differences count as 0).
    #[getter]
    fn relative_error(&self) -> f64 {
        self.report.comparison.relative_error
    }

    /// The relative error without the rounding floor.
    #[getter]
    fn raw_error(&self) -> f64 {
        self.report.comparison.raw_error
    }

    /// Points compared.
    #[getter]
    fn points(&self) -> usize {
        self.report.comparison.points
    }

    /// Points skipped: near a kink, where a matrix is singular, where
    /// finite differences did not settle.
    #[getter]
    fn skipped(&self) -> (usize, usize, usize) {
        let c = &self.report.comparison;
        (c.skipped_near_kinks, c.skipped_singular, c.skipped_unsettled)
    }

    /// The report, as `matcalc check` prints it.
    #[getter]
    fn report(&self) -> String {
        let mut lines = vec![format!("derivative: {}", self.report.derivative)];
        lines.extend(self.report.comparison.report());
        lines.push(if self.passed() {
            "ok".to_string()
        } else {
            "MISMATCH: the symbolic derivative disagrees with finite differences".to_string()
        });
        lines.join("\n")
    }

    fn __bool__(&self) -> bool {
        self.passed()
    }

    fn __str__(&self) -> String {
        self.report()
    }

    fn __repr__(&self) -> String {
        let verdict = if self.passed() { "passed" } else { "failed" };
        format!("<matcalc.Check {verdict}: relative error {:.2e} at {} points>", self.raw_error(), self.points())
    }
}
