"""matcalc: symbolic matrix calculus. Gradients, Jacobians and Hessians of
matrix expressions, printed as a person writes them, as LaTeX and as NumPy."""

from typing import Any, Callable, Iterator, Literal, Sequence, overload

__version__: str

StepsFormat = Literal["text", "unicode", "latex"]
Library = Literal["numpy", "jax", "torch"]

class Result:
    """A derivative (gradient or Jacobian) or a simplified value."""

    @property
    def kind(self) -> Literal["gradient", "jacobian", "value"]: ...
    @property
    def wrt(self) -> str | None: ...
    @property
    def of(self) -> str | None: ...
    @property
    def text(self) -> str:
        """In matcalc's input language (it parses back)."""
    @property
    def unicode(self) -> str:
        """With Unicode symbols: Wᵀ, ⊙, ‖r‖², σ."""
    @property
    def latex(self) -> str:
        """A derivative as the equation \\nabla_{\\mathbf{W}} f = ...; a value as itself."""
    @property
    def latex_bare(self) -> str:
        """The right-hand side only."""
    @property
    def numpy_source(self) -> str:
        """The source of a Python function computing the result with NumPy."""
    @property
    def jax_source(self) -> str:
        """The same function in jax.numpy (jit-compatible)."""
    @property
    def torch_source(self) -> str:
        """The same function in PyTorch (tensors in, tensor out)."""
    def source(self, library: Library = "numpy", *, with_value: bool = False) -> str:
        """The function for numpy, jax or torch; with_value: value_and_grad_W, returning (value, derivative)."""
    @property
    def numpy_name(self) -> str: ...
    @property
    def numpy_parameters(self) -> list[str]:
        """The generated function's parameter names, in order."""
    @property
    def notes(self) -> list[str]:
        """Assumptions matcalc made about the program, and likely slips."""
    def to_numpy(self, *, with_value: bool = False) -> Callable[..., Any]:
        """The generated NumPy function, ready to call with arrays (with_value: returning (value, derivative))."""
    def steps(self, format: StepsFormat = "text", width: int | None = None) -> str:
        """The derivation, one line per node of the computational graph."""
    def dot(self) -> str:
        """The computational graph in Graphviz dot."""
    def tikz(self) -> str:
        """The computational graph as a TikZ picture."""
    def _repr_latex_(self) -> str: ...
    def _repr_markdown_(self) -> str: ...

class Derivatives(Sequence[Result]):
    """Derivatives of one program with respect to several variables."""

    @property
    def text(self) -> str: ...
    @property
    def unicode(self) -> str: ...
    @property
    def latex(self) -> str:
        """The equations as one aligned block."""
    @property
    def numpy_source(self) -> str: ...
    @property
    def jax_source(self) -> str: ...
    @property
    def torch_source(self) -> str: ...
    def source(self, library: Library = "numpy", *, with_value: bool = False) -> str:
        """One function per derivative; with_value: one function returning the value and every derivative."""
    def to_numpy(self) -> list[Callable[..., Any]]: ...
    def steps(self, format: StepsFormat = "text", width: int | None = None) -> str: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> Result: ...  # type: ignore[override]
    def __iter__(self) -> Iterator[Result]: ...
    def _repr_latex_(self) -> str: ...
    def _repr_markdown_(self) -> str: ...

class Verdict:
    """Whether a claimed derivative is right; true if it is."""

    @property
    def correct(self) -> bool: ...
    @property
    def kind(self) -> Literal["same form", "agrees", "wrong shape", "differs", "undecided"]: ...
    @property
    def reason(self) -> str: ...
    @property
    def answer(self) -> str:
        """matcalc's own derivative, as text."""
    def __bool__(self) -> bool: ...
    def _repr_markdown_(self) -> str: ...

class Check:
    """A symbolic derivative compared with finite differences; true if they agree."""

    @property
    def passed(self) -> bool: ...
    @property
    def derivative(self) -> str: ...
    @property
    def relative_error(self) -> float: ...
    @property
    def raw_error(self) -> float: ...
    @property
    def points(self) -> int: ...
    @property
    def skipped(self) -> tuple[int, int, int]:
        """Points skipped near a kink, where a matrix is singular, where finite differences did not settle."""
    @property
    def report(self) -> str: ...
    def __bool__(self) -> bool: ...

class Session:
    """Declarations and definitions kept from one call to the next, as at the REPL."""

    def __init__(self) -> None: ...
    def run(self, statements: str) -> Result | None: ...
    @overload
    def diff(self, expression: str, wrt: str, *, layout: Literal["numerator", "denominator"] = "numerator") -> Result: ...
    @overload
    def diff(
        self, expression: str, wrt: list[str] | tuple[str, ...], *, layout: Literal["numerator", "denominator"] = "numerator"
    ) -> Derivatives: ...
    def simplify(self, expression: str) -> Result: ...
    def verify(self, expression: str, wrt: str, claim: str) -> Verdict: ...
    def check(self, expression: str, wrt: str, *, points: int = 5, seed: int = 1) -> Check: ...
    def types(self) -> dict[str, str]: ...
    @property
    def program(self) -> str: ...

@overload
def diff(
    program: str, wrt: str, *, of: str | None = None, layout: Literal["numerator", "denominator"] = "numerator"
) -> Result:
    """The gradient (scalar value) or Jacobian (vector value) with respect to one variable; a Jacobian in
    numerator layout d vec(F) / d vec(X)^T, or with layout="denominator" its transpose."""
@overload
def diff(
    program: str,
    wrt: list[str] | tuple[str, ...],
    *,
    of: str | None = None,
    layout: Literal["numerator", "denominator"] = "numerator",
) -> Derivatives:
    """The derivatives with respect to each variable of a list."""

def simplify(program: str, *, of: str | None = None) -> Result: ...
def types(program: str) -> dict[str, str]: ...
def verify(program: str, wrt: str, claim: str, *, of: str | None = None) -> Verdict: ...
def check(program: str, wrt: str, *, points: int = 5, seed: int = 1, of: str | None = None) -> Check: ...

class MatcalcError(ValueError):
    """An error in a program or a claim; str() is the caret rendering."""

    message: str
    kind: str
    title: str
    line: int | None
    column: int | None
    help: str | None
    caret: str
    source: str

class ParseError(MatcalcError): ...
class ShapeError(MatcalcError): ...
class UnknownNameError(MatcalcError): ...
class ArityError(MatcalcError): ...
class RedefinitionError(MatcalcError): ...
class DifferentiationError(MatcalcError): ...
class InvalidValueError(MatcalcError): ...
class LimitError(MatcalcError): ...
class EvaluationError(MatcalcError): ...
