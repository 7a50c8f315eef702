"""matcalc.diff, simplify and types, and what a Result prints."""

import pytest

import matcalc

SEED = "W: matrix(m, n); x: vector(n); 1/2 * norm2(W^T W x - x)"
SEED_GRADIENT = "t1 = (W^T W x - x) x^T\nW (t1 + t1^T)"
SEED_LATEX = (
    r"\mathbf{W} ((\mathbf{W}^\top \mathbf{W} \mathbf{x} - \mathbf{x}) \mathbf{x}^\top"
    r" + \mathbf{x} (\mathbf{W}^\top \mathbf{W} \mathbf{x} - \mathbf{x})^\top)"
)
SEED_LATEX_BARE = (
    r"\begin{aligned}"
    "\n"
    r"& \mathbf{W} (\mathbf{t}_1 + \mathbf{t}_1^\top) \\"
    "\n"
    r"\text{where } \mathbf{t}_1 &= (\mathbf{W}^\top \mathbf{W} \mathbf{x} - \mathbf{x}) \mathbf{x}^\top"
    "\n"
    r"\end{aligned}"
)
NET = "ell: function; z = W1 x + b1; h1 = swish(z); z2 = W2 h1 + b2; L = ell(z2)"


def test_diff_prints_the_seed_gradient_in_every_format():
    g = matcalc.diff(SEED, "W")
    assert isinstance(g, matcalc.Result)
    assert g.kind == "gradient" and g.wrt == "W" and g.of is None
    assert g.text == SEED_GRADIENT
    assert str(g) == SEED_GRADIENT
    assert g.unicode == "t1 = (Wᵀ W x − x) xᵀ\nW (t1 + t1ᵀ)"
    assert g.latex == SEED_LATEX_BARE.replace("\n& ", "\n\\nabla_{\\mathbf{W}} f &= ", 1)
    assert g.latex_bare == SEED_LATEX_BARE
    assert g._repr_latex_() == "$$" + g.latex + "$$"
    assert g._repr_markdown_() == "$$\n" + g.latex + "\n$$"
    assert SEED_GRADIENT in repr(g)


def test_the_text_parses_back_to_the_same_gradient():
    g = matcalc.diff(SEED, "W")
    assert matcalc.verify(SEED, "W", g.text).kind == "same form"


def test_a_definition_names_the_derivative():
    g = matcalc.diff("W: matrix(m, n); x: vector(n); L = 1/2 * norm2(W^T W x - x)", "W")
    assert g.latex.startswith("\\begin{aligned}\n\\nabla_{\\mathbf{W}} L &= ")
    inner = matcalc.diff("z = W x; L = sum(exp(z)); L", "x", of="z")
    assert inner.kind == "jacobian" and inner.of == "z"
    assert inner.text == "W"


def test_a_vector_value_has_a_jacobian():
    j = matcalc.diff("x: vector(n); softmax(x)", "x")
    assert j.kind == "jacobian"
    assert j.text == "diag(softmax(x)) - softmax(x) softmax(x)^T"
    assert j.latex.startswith(r"\frac{\partial \mathbf{f}}{\partial \mathbf{x}} = ")
    assert j.numpy_name == "jacobian_x"


@pytest.mark.parametrize("wrt", [["W1", "b1", "W2", "b2"], ("W1", "b1", "W2", "b2")])
def test_several_variables_give_derivatives_in_order(wrt):
    d = matcalc.diff(NET, wrt)
    assert isinstance(d, matcalc.Derivatives)
    assert len(d) == 4
    assert [r.wrt for r in d] == ["W1", "b1", "W2", "b2"]
    assert d[2].text == "grad(L, z2) h1^T"
    assert d[-1].text == "grad(L, z2)"
    with pytest.raises(IndexError):
        d[4]
    assert d.text.split("\n\n")[2] == "# dL/dW2\ngrad(L, z2) h1^T"
    assert d.unicode.split("\n\n")[3] == "# ∂L/∂b2\n∂L/∂z2"
    rows = d.latex.split(" \\\\\n")
    assert d.latex.startswith("\\begin{aligned}\n") and d.latex.endswith("\n\\end{aligned}")
    assert len(rows) == 4
    assert rows[2] == r"\nabla_{\mathbf{W}_2} L &= \frac{\partial L}{\partial \mathbf{z}_2} \mathbf{h}_1^\top"
    assert d._repr_latex_() == "$$" + d.latex + "$$"
    assert d.numpy_source.count("import numpy as np") == 1
    assert [f.__name__ for f in d.to_numpy()] == ["grad_W1", "grad_b1", "grad_W2", "grad_b2"]
    assert d.steps().count("\n\n") == 3
    assert "W1, b1, W2, b2" in repr(d)


def test_one_variable_in_a_list_is_still_a_list():
    d = matcalc.diff(SEED, ["W"])
    assert isinstance(d, matcalc.Derivatives) and len(d) == 1
    assert d[0].text == SEED_GRADIENT


@pytest.mark.parametrize("wrt", ["", [], " "])
def test_no_variable_is_a_value_error(wrt):
    with pytest.raises(ValueError, match="wrt needs"):
        matcalc.diff(SEED, wrt)


def test_several_variables_are_a_list_not_a_string():
    with pytest.raises(ValueError, match=r'give several variables as a list: wrt=\["W1", "b1"\]'):
        matcalc.diff(NET, "W1, b1")


def test_wrt_must_be_names():
    with pytest.raises(TypeError):
        matcalc.diff(SEED, 3)
    with pytest.raises(TypeError):
        matcalc.diff(SEED, ["W", 3])


def test_steps_in_each_format():
    g = matcalc.diff(SEED, "W")
    text = g.steps()
    assert text.splitlines()[-1] == "grad(f, W) = grad(f, W x) x^T + grad(f, W^T)^T = W ((W^T W x - x) x^T + x (W^T W x - x)^T)"
    assert len(text.splitlines()) == 5
    assert g.steps(format="unicode").splitlines()[-1].startswith("∂f/∂W = ∂f/∂(W x) xᵀ")
    latex = g.steps("latex")
    assert latex.startswith("\\begin{aligned}") and SEED_LATEX in latex
    with pytest.raises(ValueError, match="format must be one of text, unicode, latex"):
        g.steps("numpy")
    with pytest.raises(ValueError, match="unknown format"):
        g.steps("html")
    with pytest.raises(ValueError, match="derivative"):
        matcalc.simplify(SEED).steps()


def test_dot_and_tikz_draw_the_graph_with_the_variable_marked():
    g = matcalc.diff(SEED, "W")
    dot = g.dot()
    assert dot.startswith("digraph")
    assert "lightblue" in dot or "fillcolor" in dot
    assert dot.count("->") >= 6
    assert dot != matcalc.simplify(SEED).dot()
    assert "\\begin{tikzpicture}" in g.tikz()


def test_simplify_evaluates_derivative_operators():
    v = matcalc.simplify("hessian(sum(exp(x)), x)")
    assert v.kind == "value" and v.wrt is None
    assert v.text == "diag(exp(x))"
    assert v.latex == v.latex_bare
    assert matcalc.simplify("W: matrix(m, n); x: vector(n); (W x)^T W x").unicode == "xᵀ Wᵀ W x"
    assert matcalc.simplify("z = W x; y = z + b; y", of="z").text == "W x"


def test_types_gives_every_name_its_kind():
    assert matcalc.types("1/2 * norm2(W^T W x - x)") == {"W": "matrix(m, n)", "x": "vector(n)"}
    types = matcalc.types("S: symmetric(n); k: scalar; ell: function; z = S x; ell(k z)")
    assert types == {"S": "symmetric(n)", "k": "scalar", "ell": "function", "x": "vector(n)", "z": "vector(n)"}


def test_notes_tell_an_assumption():
    r = matcalc.simplify("norm2(e)^2")
    assert len(r.notes) == 1
    assert r.notes[0].startswith("note: `norm2` is already the squared norm")
    assert "^^^^^^^^^^" in r.notes[0]
    assert matcalc.diff(SEED, "W").notes == []


def test_numpy_source_is_a_function_of_the_program_variables():
    g = matcalc.diff(SEED, "W")
    assert g.numpy_name == "grad_W"
    assert g.numpy_parameters == ["W", "x"]
    assert g.numpy_source.startswith("import numpy as np")
    assert "def grad_W(W, x):" in g.numpy_source
    f = g.to_numpy()
    assert callable(f) and f.__name__ == "grad_W"
    assert matcalc.simplify(SEED).numpy_name == "value"
